// A two-series line chart on a <canvas>: training loss (left axis, red) and held-out accuracy
// (right axis, 0-100%, blue) against training steps. No chart library: a few paths per redraw.
export function drawChart(canvas, { losses, accuracies, totalSteps }) {
  const ctx = canvas.getContext('2d');
  const w = canvas.width, h = canvas.height;
  const pad = { l: 44, r: 44, t: 12, b: 28 };
  const pw = w - pad.l - pad.r, ph = h - pad.t - pad.b;
  ctx.clearRect(0, 0, w, h);
  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#ddd';
  ctx.fillStyle = '#555';
  ctx.lineWidth = 1;
  const maxLoss = Math.max(2.5, ...losses.map((p) => p.value));
  const steps = Math.max(totalSteps, 1);
  const x = (step) => pad.l + (step / steps) * pw;
  const yLoss = (v) => pad.t + ph - (v / maxLoss) * ph;
  const yAcc = (v) => pad.t + ph - v * ph;
  // Grid and axis labels.
  for (let i = 0; i <= 4; i++) {
    const yy = pad.t + (i / 4) * ph;
    ctx.beginPath();
    ctx.moveTo(pad.l, yy);
    ctx.lineTo(w - pad.r, yy);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText(((1 - i / 4) * maxLoss).toFixed(1), pad.l - 6, yy + 4);
    ctx.textAlign = 'left';
    ctx.fillText(`${(100 - i * 25).toFixed(0)}%`, w - pad.r + 6, yy + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText(`step (of ${totalSteps})`, pad.l + pw / 2, h - 6);
  const line = (points, y, color) => {
    if (points.length === 0) return;
    ctx.strokeStyle = color;
    ctx.fillStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.step), y(p.value)) : ctx.lineTo(x(p.step), y(p.value))));
    ctx.stroke();
    for (const p of points.length < 40 ? points : []) {
      ctx.beginPath();
      ctx.arc(x(p.step), y(p.value), 3, 0, 2 * Math.PI);
      ctx.fill();
    }
  };
  line(losses, yLoss, '#d33');
  line(accuracies, yAcc, '#26a');
  const last = accuracies.at(-1);
  if (last) {
    ctx.fillStyle = '#26a';
    ctx.textAlign = 'right';
    ctx.fillText(`${(last.value * 100).toFixed(1)}%`, x(last.step) - 4, yAcc(last.value) - 6);
  }
}

/** Draws one 28x28 image (floats in [0, 1]) onto a canvas, scaled to its size. */
export function drawDigit(canvas, pixels) {
  const img = new ImageData(28, 28);
  for (let i = 0; i < 784; i++) {
    const v = Math.max(0, Math.min(255, Math.round(pixels[i] * 255)));
    img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
    img.data[4 * i + 3] = 255;
  }
  const tmp = new OffscreenCanvas(28, 28);
  tmp.getContext('2d').putImageData(img, 0, 0);
  const ctx = canvas.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tmp, 0, 0, canvas.width, canvas.height);
}
