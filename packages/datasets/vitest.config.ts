import { packageProject } from '../../vitest.alias.ts';

export default packageProject('datasets');
