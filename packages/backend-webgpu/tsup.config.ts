import { packageBuild } from '../../tsup.base.ts';

// tfjs stays a dependency (not bundled); 'webgpu' is an optional peer found at run time.
export default packageBuild({ external: ['webgpu', '@tensorflow/tfjs-core', '@tensorflow/tfjs-backend-webgpu'] });
