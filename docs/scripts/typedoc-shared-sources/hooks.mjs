// Module resolution hook (register.mjs): typedoc's imports of 'typescript' get typescript.mjs.
const wrapper = new URL('./typescript.mjs', import.meta.url).href;

export async function resolve(specifier, context, next) {
  if (specifier === 'typescript' && /\/typedoc[@/]/.test(context.parentURL ?? '')) return { url: wrapper, shortCircuit: true };
  return next(specifier, context);
}
