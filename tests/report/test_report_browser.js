#!/usr/bin/env node
/*
 * test_report_browser.js - the training report page (gan report) in a real
 * browser: Debian's Chromium, headless, driven by playwright-core (npm, in
 * web/node_modules; scripts/setup.sh installs both). For tiny runs trained
 * here (unconditional mlp and conditional cgan, on synthetic images) it checks
 * that the page
 *   - loads from file:// with no console error, no page error and no
 *     request but its own file;
 *   - draws every log line in each chart, and at most a few thousand of
 *     100,000 lines while keeping the extremes (and says how fast it is);
 *   - shows each epoch's grid (samples/epoch_NNN.png) at each slider stop;
 *   - runs the generator as WebAssembly: for the noise of `gan sample --seed S
 *     --save-noise`, the same latent vectors and pixels within 1e-5 of
 *     `gan sample --float`, for a conditional model per class too;
 *   - without a WebAssembly compiler, loads cleanly without the panel;
 *   - for a folder with nothing in it yet, loads cleanly too.
 * Exit 77 (skipped) only when Chromium is absent. GAN_CLI names the gan
 * binary; GAN_REPORT_SCREENSHOT=FILE.png also saves a screenshot of a page.
 */
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync, spawnSync } = require('child_process');

const chromiumPath = process.env.GAN_CHROMIUM || '/usr/bin/chromium';
if (!fs.existsSync(chromiumPath)) {
  console.log('skipped: no Chromium at ' + chromiumPath + ' (scripts/setup.sh installs it)');
  process.exit(77);
}
let playwright;
try {
  playwright = require(path.join(__dirname, '..', '..', 'web', 'node_modules', 'playwright-core'));
} catch (e) {
  console.error('FAIL: playwright-core is not installed in web/node_modules (run scripts/setup.sh)');
  process.exit(1);
}
const cli = process.env.GAN_CLI;
if (!cli) {
  console.error('FAIL: GAN_CLI is not set');
  process.exit(1);
}

let failures = 0, checks = 0;
function check(cond, msg) {
  checks++;
  if (!cond) {
    failures++;
    console.error('FAIL: ' + msg);
  }
}

function gan(args, env) {
  return execFileSync(cli, args, { env: Object.assign({}, process.env, env || {}),
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/* A float32 .npy file as {shape, data}. */
function readNpy(file) {
  const b = fs.readFileSync(file);
  const major = b[6], hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + hlen);
  if (!header.includes("'<f4'")) throw new Error(file + ': not float32: ' + header);
  const shape = header.match(/\(([^)]*)\)/)[1].split(',').filter(s => s.trim()).map(Number);
  const body = b.subarray(start + hlen);
  const data = new Float32Array(body.buffer.slice(body.byteOffset, body.byteOffset + body.length));
  return { shape, data };
}

/* 256 synthetic 28x28 images with labels i mod 10, as IDX files. */
function writeDataset(dir) {
  const n = 256, img = Buffer.alloc(16 + n * 784), lab = Buffer.alloc(8 + n);
  img.set([0, 0, 8, 3, 0, 0, 1, 0, 0, 0, 0, 28, 0, 0, 0, 28]);
  for (let i = 0; i < n * 784; i++) img[16 + i] = (Math.imul(i + 16, 2654435761) >>> 24) & 255;
  lab.set([0, 0, 8, 1, 0, 0, 1, 0]);
  for (let i = 0; i < n; i++) lab[8 + i] = i % 10;
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte'), img);
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte'), lab);
}

function logRows(run) {
  return fs.readFileSync(path.join(run, 'log.jsonl'), 'utf8').split('\n')
    .filter(l => l.includes('"loss_d"') && !l.includes('"eval_fid"'));
}

/* Open a page; collect console errors, page errors and requests. */
async function openPage(context, file) {
  const page = await context.newPage();
  const problems = [], requests = [];
  page.on('console', m => { if (m.type() === 'error' || m.type() === 'warning') problems.push('console ' + m.type() + ': ' + m.text()); });
  page.on('pageerror', e => problems.push('page error: ' + e.message));
  page.on('request', r => requests.push(r.url()));
  const url = 'file://' + file;
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 120000 });
  const ms = Date.now() - t0;
  const others = requests.filter(u => u !== url && !u.startsWith('data:'));
  check(problems.length === 0, file + ': ' + problems.join('; '));
  check(others.length === 0, file + ': network requests: ' + others.join(', '));
  return { page, ms };
}

async function checkCharts(page, run) {
  const rows = logRows(run).length;
  const n = await page.evaluate(() => ['losses', 'd', 'speed'].map(k => ganReport.charts[k].data[0].length));
  check(n.every(x => x === rows), run + ': charts hold ' + n + ' points, the log ' + rows + ' lines');
  const series = await page.evaluate(() => ganReport.charts.losses.data[1].slice());
  const logged = logRows(run).map(l => JSON.parse(l).loss_d);
  check(series.every((v, i) => Math.abs(v - logged[i]) < 1e-6), run + ': loss_d points differ from the log');
}

async function checkSlider(page, run) {
  const files = fs.readdirSync(path.join(run, 'samples')).filter(f => /^epoch_\d+\.png$/.test(f)).sort();
  const max = await page.$eval('#epoch-slider', s => Number(s.max));
  check(max === files.length - 1, run + ': slider has ' + (max + 1) + ' stops for ' + files.length + ' grids');
  for (let i = 0; i < files.length; i++) {
    const shown = await page.evaluate(i => {
      const s = document.getElementById('epoch-slider');
      s.value = String(i);
      s.dispatchEvent(new Event('input'));
      const img = document.getElementById('epoch-grid');
      return img.decode().then(() => ({ src: img.src, w: img.naturalWidth, label: document.getElementById('epoch-label').textContent }));
    }, i);
    const want = 'data:image/png;base64,' + fs.readFileSync(path.join(run, 'samples', files[i])).toString('base64');
    check(shown.src === want, run + ': slider stop ' + i + ' does not show ' + files[i]);
    check(shown.w > 0 && shown.label.startsWith(String(Number(files[i].slice(6, 9)))), run + ': grid ' + i + ' not drawn (' + shown.label + ')');
  }
}

/* The page's generator against `gan sample --float` for the same noise. */
async function checkGenerator(page, run, tmp, cls) {
  const x = path.join(tmp, 'x.npy'), z = path.join(tmp, 'z.npy'), seed = 7, n = 4;
  const args = ['sample', run, '--n', String(n), '--seed', String(seed), '--float', '--out', x, '--save-noise', z];
  if (cls != null) args.push('--class', String(cls));
  gan(args);
  const zs = readNpy(z), xs = readNpy(x), latent = zs.shape[1], size = xs.data.length / n;
  const res = await page.evaluate(({ zs, seed, n, latent, size, cls }) => {
    let zerr = 0, xerr = 0;
    const outs = [];
    for (let i = 0; i < n; i++) {
      const zi = ganReport.noise(seed, i), want = zs.slice(i * latent, (i + 1) * latent);
      for (let k = 0; k < latent; k++) zerr = Math.max(zerr, Math.abs(zi[k] - want[k]));
      outs.push(Array.from(ganReport.generate(Float32Array.from(want), cls || 0)));
    }
    return { zerr, outs, size };
  }, { zs: Array.from(zs.data), seed, n, latent, size, cls });
  check(res.zerr === 0, run + ': noise differs from gan sample --save-noise by ' + res.zerr);
  let xerr = 0;
  for (let i = 0; i < n; i++)
    for (let k = 0; k < size; k++) xerr = Math.max(xerr, Math.abs(res.outs[i][k] - xs.data[i * size + k]));
  check(res.outs[0].length === size, run + ': generator gives ' + res.outs[0].length + ' values, want ' + size);
  check(xerr <= 1e-5, run + ': WebAssembly pixels differ from gan sample --float by ' + xerr);
  console.log('  ' + path.basename(run) + (cls != null ? ' class ' + cls : '') + ': wasm vs gan sample: max |dz| ' + res.zerr + ', max |dx| ' + xerr.toExponential(2));
}

async function checkButtons(page) {
  const pixels = () => page.evaluate(() => {
    const c = document.getElementById('live-canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',');
  });
  const before = await pixels();
  await page.click('#new-noise');
  const after = await pixels();
  check(before !== after, 'new noise did not change the image');
  await page.click('#walk');
  await page.waitForFunction(() => /walk:/.test(document.getElementById('live-seed').textContent));
  const w1 = await pixels();
  await page.waitForFunction(prev => {
    const c = document.getElementById('live-canvas');
    return Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(',') !== prev;
  }, w1, { timeout: 30000 });
  await page.click('#walk');
  check(true, 'latent walk animates');
}

async function main() {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gan-report-test-'));
  const data = path.join(tmp, 'data');
  fs.mkdirSync(data);
  writeDataset(data);
  const common = ['--data', data, '--batch-size', '32', '--threads', '2', '--quiet'];
  const mlp = path.join(tmp, 'mlp'), cgan = path.join(tmp, 'cgan'), bare = path.join(tmp, 'bare');
  gan(['train', ...common, '--epochs', '3', '--log-every', '2', '--out', mlp]);
  gan(['train', ...common, '--model', 'cgan', '--epochs', '2', '--log-every', '3', '--out', cgan]);
  const said = spawnSync(cli, ['report', mlp], { encoding: 'utf8' }).stderr;
  fs.cpSync(mlp, bare, { recursive: true });
  let noWasm = '';
  try {
    execFileSync(cli, ['report', bare], { env: Object.assign({}, process.env, { GAN_WASM_CC: path.join(tmp, 'no-cc') }), stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) { noWasm = 'gan report failed: ' + e.stderr; }
  check(noWasm === '', noWasm);

  /* 100,000 log lines with spikes, and 100 evaluation lines */
  const big = path.join(tmp, 'big');
  fs.mkdirSync(big);
  const lines = [];
  for (let i = 1; i <= 100000; i++) {
    const d = i === 31337 ? 987.5 : i === 77777 ? -5.25 : 0.5 + 0.1 * Math.sin(i / 500);
    lines.push(JSON.stringify({ step: i * 10, epoch: Math.floor((i - 1) / 1000) + 1, loss_d: d, loss_g: 1 + 0.2 * Math.cos(i / 700),
      d_real: 0.6, d_fake: 0.4, images_per_s: i === 50001 ? 99999.5 : 1000, seconds: i * 0.01 }));
    if (i % 1000 === 0) lines.push(JSON.stringify({ step: i * 10, epoch: i / 1000, loss_d: d, loss_g: 1, eval_fid: 100 / (1 + i / 1000), eval_coverage: 0.5, eval_n: 1000, eval_seconds: 1, eval_best: true }));
  }
  fs.writeFileSync(path.join(big, 'log.jsonl'), lines.join('\n') + '\n');
  gan(['report', big, '--no-generator']);
  const empty = path.join(tmp, 'empty');
  fs.mkdirSync(empty);
  gan(['report', empty]);

  const context = await playwright.chromium.launchPersistentContext(fs.mkdtempSync(path.join(tmp, 'profile-')), {
    executablePath: chromiumPath, headless: true, viewport: { width: 1250, height: 1000 },
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  try {
    for (const run of [mlp, cgan]) {
      const { page, ms } = await openPage(context, path.join(run, 'report.html'));
      console.log('  ' + path.basename(run) + ': page ready in ' + ms + ' ms, ' + (fs.statSync(path.join(run, 'report.html')).size / 1e6).toFixed(1) + ' MB');
      await checkCharts(page, run);
      await checkSlider(page, run);
      const live = await page.$eval('#live-panel', p => !p.hidden);
      check(live, run + ': no live generator in the page: ' + await page.$eval('#live-note', n => n.textContent));
      if (live && run === mlp) {
        await checkGenerator(page, run, tmp, null);
        await checkButtons(page);
        if (process.env.GAN_REPORT_SCREENSHOT) await page.screenshot({ path: process.env.GAN_REPORT_SCREENSHOT, fullPage: true });
      }
      if (live && run === cgan) {
        const opts = await page.$$eval('#class-pick option', o => o.length);
        check(opts === 10, 'class picker has ' + opts + ' classes, want 10');
        check(await page.$eval('#class-grid-section', s => !s.hidden), 'no class grid for cgan');
        for (const cls of [0, 3, 9]) await checkGenerator(page, run, tmp, cls);
      }
      await page.close();
    }
    check(/report\.html \([0-9.]+ MB\), with the live generator/.test(said), 'gan report said: ' + said);

    let r = await openPage(context, path.join(bare, 'report.html'));
    check(await r.page.$eval('#live-panel', p => p.hidden), 'no-compiler page shows the live panel');
    const note = await r.page.$eval('#live-note', n => n.textContent);
    check(/GAN_WASM_CC does not run/.test(note), 'no-compiler page note: ' + note);
    await r.page.close();

    r = await openPage(context, path.join(empty, 'report.html'));
    check(/no lines yet/.test(await r.page.$eval('#curves-note', n => n.textContent)), 'empty run: no curves note');
    await r.page.close();

    r = await openPage(context, path.join(big, 'report.html'));
    const st = await r.page.evaluate(() => {
      const c = ganReport.charts, d = c.losses.data;
      return { shown: d[0].length, rows: ganReport.data.log.rows, min: Math.min(...d[1]), max: Math.max(...d[1]),
        ips: Math.max(...c.speed.data[1]), evals: c.eval.data[0].length,
        lastStep: d[0][d[0].length - 1] };
    });
    console.log('  100,000 log lines: page ready in ' + r.ms + ' ms, ' + st.shown + ' points drawn per curve');
    check(st.rows === 100000 && st.shown <= 4001 && st.shown > 300, 'big log: ' + JSON.stringify(st));
    check(st.min === -5.25 && st.max === 987.5 && st.ips === 99999.5, 'big log lost an extreme: ' + JSON.stringify(st));
    check(st.lastStep === 1000000 && st.evals === 100, 'big log: last step / eval points: ' + JSON.stringify(st));
    check(r.ms < 20000, 'big log page took ' + r.ms + ' ms');
    await r.page.close();
  } finally {
    await context.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  console.log((failures ? 'FAILED ' + failures + ' of ' : 'passed all ') + checks + ' checks');
  process.exit(failures ? 1 : 0);
}

main().catch(e => { console.error('FAIL: ' + (e.stack || e)); process.exit(1); });
