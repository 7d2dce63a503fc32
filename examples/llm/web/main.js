// A Llama-family model in the page: a checkpoint from a file picker (a llama2.c .bin, or the files
// of a Hugging Face folder, read tensor by tensor from the File objects), text streamed from it
// token by token with prefill and decode speed. window.__llm exposes the state to the test
// (run-web-test.mjs).
import * as torch from 'torchlet';
import { transformer } from 'torchlet';

const $ = (id) => document.getElementById(id);
const state = (window.__llm = { ready: false, loaded: null, tokens: [], done: false, running: false, error: null, stats: null });
const status = (text) => ($('status').textContent = text);
const mb = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;
let model = null, tokenizer = null, stop = false;

function fail(e) {
  state.error = e instanceof Error ? e.message : String(e);
  status(`error: ${state.error}`);
  console.error(e);
}

/** The model (and tokenizer) in the picked files. */
async function load(files) {
  const byName = new Map(files.map((f) => [f.name, f]));
  const bin = files.find((f) => f.name.endsWith('.bin'));
  if (bin) return { model: transformer.loadLlama2c(new Uint8Array(await bin.arrayBuffer())), tokenizer: null, what: bin.name };
  if (!byName.has('config.json')) throw new Error(`pick a llama2.c .bin file, or a Hugging Face folder's files including config.json (got ${files.map((f) => f.name).join(', ')})`);
  const m = await transformer.LlamaForCausalLM.fromPretrained(files);
  let tok = null;
  if (byName.has('tokenizer.json')) tok = transformer.HFTokenizer.fromJSON(await byName.get('tokenizer.json').text());
  else if (byName.has('tokenizer.model')) tok = transformer.SentencePieceTokenizer.fromModel(new Uint8Array(await byName.get('tokenizer.model').arrayBuffer()));
  return { model: m, tokenizer: tok, what: `${files.length} files` };
}

$('files').addEventListener('change', async (event) => {
  const files = [...event.target.files];
  if (files.length === 0) return;
  $('generate').disabled = true;
  state.loaded = null;
  state.error = null;
  try {
    model?.dispose();
    model = null;
    status(`reading ${files.map((f) => f.name).join(', ')} ...`);
    const t0 = performance.now();
    const r = await load(files);
    model = r.model;
    tokenizer = r.tokenizer;
    const params = model.parameters().reduce((n, p) => n + p.numel(), 0);
    state.loaded = { config: model.config, params };
    status(`loaded ${r.what} in ${((performance.now() - t0) / 1000).toFixed(1)} s: ${params.toLocaleString()} parameters (${mb(4 * params)}), ` +
      `${model.config.numHiddenLayers} layers, vocab ${model.config.vocabSize}${tokenizer ? '' : ', no tokenizer: token ids'}`);
    $('prompt-label').textContent = tokenizer ? 'Prompt' : 'Prompt (token ids, comma-separated: this checkpoint has no tokenizer)';
    if (tokenizer && /^[\d,\s]*$/.test($('prompt').value)) $('prompt').value = 'Once upon a time';
    $('generate').disabled = false;
  } catch (e) {
    fail(e);
  }
});

function promptIds() {
  const text = $('prompt').value;
  if (tokenizer) return tokenizer.encode(text);
  const ids = text.split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  if (ids.length === 0 || ids.some((t) => !Number.isInteger(t) || t < 0 || t >= model.config.vocabSize)) {
    throw new Error(`the prompt must be token ids from 0 to ${model.config.vocabSize - 1}, separated by commas`);
  }
  return ids;
}

$('generate').addEventListener('click', async () => {
  state.tokens = [];
  state.done = false;
  state.error = null;
  state.running = true;
  stop = false;
  $('generate').disabled = true;
  $('stop').disabled = false;
  $('output').textContent = '';
  try {
    const prompt = promptIds();
    $('output').textContent = tokenizer ? tokenizer.decode(prompt) : prompt.join(',');
    const options = { maxNewTokens: Number($('new-tokens').value), temperature: Number($('temperature').value), topK: Number($('top-k').value) || null, seed: Number($('seed').value) };
    const t0 = performance.now();
    let tFirst = 0;
    for await (const id of model.generate(prompt, options)) {
      if (state.tokens.length === 0) tFirst = performance.now();
      state.tokens.push(id);
      $('output').textContent = tokenizer ? tokenizer.decode([...prompt, ...state.tokens]) : [...prompt, ...state.tokens].join(',');
      const decode = state.tokens.length > 1 ? (state.tokens.length - 1) / ((performance.now() - tFirst) / 1000) : 0;
      state.stats = { prefillMs: tFirst - t0, decodeTps: decode, promptTokens: prompt.length };
      $('stats').textContent = `prefill ${prompt.length} tokens in ${(tFirst - t0).toFixed(0)} ms; decode ${decode.toFixed(1)} tokens/s; ` +
        `${state.tokens.length} tokens; ${mb(torch.memory().bytes)} in tensors`;
      if (stop) break;
      await new Promise((r) => setTimeout(r, 0)); // let the page paint the token
    }
    state.done = true;
  } catch (e) {
    fail(e);
  } finally {
    state.running = false;
    $('generate').disabled = false;
    $('stop').disabled = true;
  }
});

$('stop').addEventListener('click', () => (stop = true));

// One thread: a page that is not cross-origin isolated cannot share wasm memory with workers.
await torch.setBackend('wasm', { threads: 1 });
state.ready = true;
