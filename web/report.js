/*
 * report.js - the behaviour of the training report page: the curves (uPlot),
 * the per-epoch sample slider, the epoch table, and the live generator (the
 * run's generator compiled to WebAssembly by `gan report`).
 *
 * Everything comes from the JSON block #gan-data that gan writes into the
 * page. window.ganReport exposes the charts and the generator to tests:
 *   ganReport.ready            a promise, resolved when the page is drawn
 *   ganReport.charts           {losses, d, speed, eval}: uPlot instances
 *   ganReport.noise(seed, i)   the latent vector of `gan sample --seed` image i
 *   ganReport.generate(z, k)   the generator's float output (CHW, [-1, 1])
 */
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('gan-data').textContent);
  const api = { data: data, charts: {} };
  window.ganReport = api;

  function el(id) { return document.getElementById(id); }
  function fmt(x, digits) { return x == null || !isFinite(x) ? '-' : Number(x).toFixed(digits); }

  function b64bytes(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }

  /* ------------------------------------------------------------ curves */
  function chart(id, title, x, series, yLabel) {
    const target = el(id);
    if (typeof uPlot === 'undefined') {
      target.textContent = title + ': this gan was built without uPlot (run scripts/setup.sh)';
      return null;
    }
    const colors = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e'];
    const opts = {
      title: title,
      width: Math.min(580, Math.max(320, target.clientWidth || 580)),
      height: 260,
      scales: { x: { time: false } },
      axes: [{ label: 'step' }, { label: yLabel, size: 60 }],
      series: [{ label: 'step' }].concat(series.map(function (s, i) {
        return { label: s.label, stroke: colors[i % colors.length], width: 1.25, points: { show: false } };
      })),
    };
    return new uPlot(opts, [x].concat(series.map(function (s) { return s.values; })), target);
  }

  function drawCurves() {
    const log = data.log;
    el('curves-note').textContent = log.rows === 0 ? 'The log has no lines yet.' :
      log.shown < log.rows
        ? log.rows + ' log lines, ' + log.shown + ' shown: per bucket of steps the first line and the lines holding each curve\'s minimum and maximum.'
        : log.rows + ' log lines (every --log-every steps).';
    if (log.rows === 0) return;
    api.charts.losses = chart('chart-losses', 'Losses', log.step,
      [{ label: 'loss_d', values: log.loss_d }, { label: 'loss_g', values: log.loss_g }], 'loss');
    api.charts.d = chart('chart-d', 'Discriminator outputs', log.step,
      [{ label: 'D(x)', values: log.d_real }, { label: 'D(G(z))', values: log.d_fake }], 'mean D');
    api.charts.speed = chart('chart-speed', 'Speed', log.step,
      [{ label: 'images/s', values: log.images_per_s }], 'images/s');
    if (data.eval && data.eval.step.length) {
      const s = [{ label: 'FID', values: data.eval.fid }];
      if (data.eval.kid) s.push({ label: 'KID', values: data.eval.kid });
      api.charts.eval = chart('chart-eval', 'Evaluation (--eval-every)', data.eval.step, s, 'FID');
    }
  }

  /* ----------------------------------------------------- samples, tables */
  function drawSamples() {
    const grids = data.grids, slider = el('epoch-slider');
    if (!grids.length) {
      el('samples').querySelector('.note').textContent = 'No sample grids yet.';
      slider.disabled = true;
      return;
    }
    slider.max = String(grids.length - 1);
    slider.value = String(grids.length - 1);
    function show() {
      const g = grids[Number(slider.value)];
      el('epoch-grid').src = g.src;
      el('epoch-label').textContent = g.epoch + ' of ' + grids[grids.length - 1].epoch;
    }
    slider.addEventListener('input', show);
    show();
    if (data.class_grid) {
      el('class-grid-section').hidden = false;
      el('class-grid').src = data.class_grid;
    }
  }

  function drawTables() {
    const body = el('epoch-table').querySelector('tbody');
    data.epochs.forEach(function (e) {
      const tr = document.createElement('tr');
      [e.epoch, e.step, fmt(e.seconds, 1), fmt(e.loss_d, 4), fmt(e.loss_g, 4)].forEach(function (v) {
        const td = document.createElement('td');
        td.textContent = String(v);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    el('inspect').textContent = data.inspect || data.inspect_note || '';
    const last = data.summary;
    el('summary').textContent = [
      'model ' + (data.model || '?'),
      'step ' + last.step + (last.epochs ? ', ' + last.epochs + ' epochs' : ''),
      'device ' + data.device,
      'wall time ' + fmt(last.seconds, 1) + ' s',
      last.best_fid != null ? 'best FID ' + fmt(last.best_fid, 3) + ' (epoch ' + last.best_fid_epoch + ')' : null,
    ].filter(Boolean).join(' \u00b7 ');
    el('footer').textContent = 'Written by gan.c ' + data.version + ' at ' + data.written + ' from ' + data.run + '.';
  }

  /* -------------------------------------------------- the live generator */
  async function startGenerator(g) {
    const { instance } = await WebAssembly.instantiate(b64bytes(g.wasm), {});
    const ex = instance.exports;
    const weights = b64bytes(g.weights);
    let off = 0;
    for (let i = 0, n = ex.weights_count(); i < n; i++) {
      const len = ex.weight_len(i) * 4;
      new Uint8Array(ex.memory.buffer, ex.weight_ptr(i), len).set(weights.subarray(off, off + len));
      off += len;
    }
    if (off !== weights.length) throw new Error('generator weights: ' + weights.length + ' bytes, the code needs ' + off);
    const size = g.channels * g.height * g.width;
    api.noise = function (seed, index) {
      ex.noise(seed, index);
      return new Float32Array(ex.memory.buffer, ex.z_ptr(), g.latent).slice();
    };
    api.generate = function (z, label) {
      new Float32Array(ex.memory.buffer, ex.z_ptr(), g.latent).set(z);
      ex.generate(label | 0);
      return new Float32Array(ex.memory.buffer, ex.image_ptr(), size).slice();
    };
    return g;
  }

  function drawImage(g, img) {
    const canvas = el('live-canvas');
    canvas.width = g.width;
    canvas.height = g.height;
    const ctx = canvas.getContext('2d');
    const out = ctx.createImageData(g.width, g.height), plane = g.width * g.height;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < 3; c++) {
        const x = img[(g.channels === 3 ? c : 0) * plane + p];
        out.data[p * 4 + c] = Math.max(0, Math.min(255, Math.round((x + 1) * 127.5)));
      }
      out.data[p * 4 + 3] = 255;
    }
    ctx.putImageData(out, 0, 0);
  }

  function livePanel(g) {
    el('live-panel').hidden = false;
    el('live-note').textContent = 'The generator of the checkpoint at step ' + g.step +
      (g.ema ? ' (its moving average)' : '') + ', compiled to WebAssembly from gan export\'s C; ' +
      'the same noise gives the same image as gan sample.';
    let seed = 1, index = 0, label = 0, walking = null;
    if (g.classes > 0) {
      el('class-label').hidden = false;
      const pick = el('class-pick');
      for (let k = 0; k < g.classes; k++) {
        const o = document.createElement('option');
        o.value = String(k);
        o.textContent = String(k);
        pick.appendChild(o);
      }
      pick.addEventListener('change', function () { label = Number(pick.value); render(); });
    }
    function render() {
      el('live-seed').textContent = 'seed ' + seed + ', image ' + index + (g.classes ? ', class ' + label : '');
      drawImage(g, api.generate(api.noise(seed, index), label));
    }
    el('new-noise').addEventListener('click', function () {
      seed = 1 + Math.floor(Math.random() * 1e9);
      index = 0;
      render();
    });
    el('walk').addEventListener('click', function () {
      if (walking) { cancelAnimationFrame(walking); walking = null; el('walk').textContent = 'latent walk'; return; }
      el('walk').textContent = 'stop';
      let a = api.noise(seed, index), b = api.noise(seed, index + 1), t = 0;
      const z = new Float32Array(g.latent);
      function frame() {
        t += 0.02;
        if (t >= 1) { t = 0; index++; a = b; b = api.noise(seed, index + 1); }
        /* spherical-ish: keep the norm of Gaussian noise along the path */
        const ca = Math.cos(t * Math.PI / 2), cb = Math.sin(t * Math.PI / 2);
        for (let k = 0; k < g.latent; k++) z[k] = ca * a[k] + cb * b[k];
        el('live-seed').textContent = 'walk: seed ' + seed + ', image ' + index + ' \u2192 ' + (index + 1);
        drawImage(g, api.generate(z, label));
        walking = requestAnimationFrame(frame);
      }
      walking = requestAnimationFrame(frame);
    });
    render();
  }

  async function main() {
    drawCurves();
    drawSamples();
    drawTables();
    if (data.generator) {
      await startGenerator(data.generator);
      livePanel(data.generator);
    } else {
      el('live-note').textContent = data.generator_note || 'No live generator in this page.';
    }
    document.body.dataset.ready = '1';
  }
  api.ready = main();
})();
