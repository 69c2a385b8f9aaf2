// emoji_folders.js - arrange the npm emoji-datasource-{google,twitter} images as
// OUT/<category>/<set>-<image>.png (relative symlinks), one folder per emoji.json category
// ("Smileys & Emotion" -> smileys-emotion), skin-tone variations included with
// their emoji. Usage: node scripts/emoji_folders.js NPM_MODULES_DIR OUT_DIR
'use strict';
const fs = require('fs');
const path = require('path');
const [modules, out] = process.argv.slice(2);
if (!modules || !out) {
  console.error('usage: node emoji_folders.js NPM_MODULES_DIR OUT_DIR');
  process.exit(2);
}
const slug = (s) => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
let made = 0;
for (const set of ['google', 'twitter']) {
  const pkg = path.resolve(modules, `emoji-datasource-${set}`);
  const list = JSON.parse(fs.readFileSync(path.join(pkg, 'emoji.json'), 'utf8'));
  for (const e of list) {
    const images = [[e.image, e[`has_img_${set}`]]];
    for (const v of Object.values(e.skin_variations || {})) images.push([v.image, v[`has_img_${set}`]]);
    const dir = path.join(out, slug(e.category));
    fs.mkdirSync(dir, { recursive: true });
    for (const [image, has] of images) {
      const src = path.join(pkg, 'img', set, '64', image);
      if (!has || !fs.existsSync(src)) continue;
      const dst = path.join(dir, `${set}-${image}`);
      try { fs.lstatSync(dst); } catch { fs.symlinkSync(path.relative(dir, src), dst); made++; }
    }
  }
}
console.error(`emoji_folders: ${made} new links in ${out}`);
