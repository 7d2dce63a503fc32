import { installAutograd } from './hook.ts';

export { gradOf, grad, valueAndGrad, type GradOptions, type AutogradGradOptions } from './functional.ts';
export { RULES, NOT_DIFFERENTIABLE, type Rule, type RuleContext } from './rules.ts';
export { sumTo } from './engine.ts';
export { noGrad, enableGrad, isGradEnabled, setGradEnabled } from '@torchlet/core';

// Importing this package turns on gradient recording for every tensor op (the one side effect).
installAutograd();
