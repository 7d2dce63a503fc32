// Turns a drawing into an MNIST-like 28x28 image, as MNIST itself was made (LeCun et al.): the
// digit's bounding box is scaled to fit 20x20 keeping its aspect ratio, then placed in a 28x28
// field so that its centre of mass sits at the centre. Returns 784 floats in [0, 1], or null
// when nothing was drawn.
export function toMNIST(canvas) {
  const { width: w, height: h } = canvas;
  const src = canvas.getContext('2d').getImageData(0, 0, w, h).data;
  let x0 = w, y0 = h, x1 = -1, y1 = -1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      if (src[4 * (y * w + x)] > 20) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return null;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
  const scale = 20 / Math.max(bw, bh);
  const sw = Math.max(1, Math.round(bw * scale)), sh = Math.max(1, Math.round(bh * scale));
  // Downsample the bounding box with the browser's smoothing (an area-like filter).
  const small = new OffscreenCanvas(sw, sh);
  const sctx = small.getContext('2d');
  sctx.imageSmoothingEnabled = true;
  sctx.imageSmoothingQuality = 'high';
  sctx.drawImage(canvas, x0, y0, bw, bh, 0, 0, sw, sh);
  const px = sctx.getImageData(0, 0, sw, sh).data;
  // Centre of mass of the downsampled digit.
  let mass = 0, cx = 0, cy = 0;
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const v = px[4 * (y * sw + x)] / 255;
      mass += v;
      cx += v * x;
      cy += v * y;
    }
  }
  cx = mass > 0 ? cx / mass : sw / 2;
  cy = mass > 0 ? cy / mass : sh / 2;
  const dx = Math.round(14 - cx), dy = Math.round(14 - cy);
  const out = new Float32Array(784);
  for (let y = 0; y < sh; y++) {
    for (let x = 0; x < sw; x++) {
      const tx = x + dx, ty = y + dy;
      if (tx >= 0 && tx < 28 && ty >= 0 && ty < 28) out[ty * 28 + tx] = px[4 * (y * sw + x)] / 255;
    }
  }
  return out;
}
