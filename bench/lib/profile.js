'use strict';

const fs = require('node:fs');
const path = require('node:path');

/** Top self-time functions of a V8 .cpuprofile (what `node --cpu-prof` writes). */
function summariseProfile(file, top = 15) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    self.set(id, (self.get(id) ?? 0) + delta);
  });
  const grouped = new Map();
  for (const [id, micros] of self) {
    const { callFrame } = byId.get(id);
    const where = callFrame.url
      ? `${shorten(callFrame.url)}:${callFrame.lineNumber + 1}`
      : callFrame.functionName.startsWith('(')
        ? ''
        : '(native)';
    const key = `${callFrame.functionName || '(anonymous)'} ${where}`.trim();
    grouped.set(key, (grouped.get(key) ?? 0) + micros);
  }
  return [...grouped.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, micros]) => ({ fn, selfMs: Math.round(micros / 1000), percent: (100 * micros) / total }));
}

/**
 * Self time grouped by who asked for it: the nearest caller that is a package
 * (node_modules/<pkg>) or a file of the service (dist/src/<dir>), so that native time such
 * as socket writes lands on the library that wrote (pg, ioredis, …) instead of on Node.
 */
function summariseByOwner(file, top = 12) {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const ownerOf = new Map();
  const owner = (id) => {
    if (ownerOf.has(id)) return ownerOf.get(id);
    const chain = [];
    let result;
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const { url, functionName } = byId.get(cur).callFrame;
      chain.push(cur);
      const file = url.replace(/^file:\/\//, '');
      const nm = file.lastIndexOf('node_modules/');
      if (nm >= 0) {
        const rest = file.slice(nm + 'node_modules/'.length).split('/');
        result = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
        break;
      }
      const src = /\/dist\/(src\/(?:modules\/)?[^/]+)/.exec(file);
      if (src) {
        result = `service ${src[1].replace(/\.js$/, '')}`;
        break;
      }
      if (cur === id && functionName.startsWith('(')) {
        result = functionName;
        break;
      }
      if (ownerOf.has(cur)) {
        result = ownerOf.get(cur);
        break;
      }
    }
    result ??= 'node internals';
    for (const node of chain) ownerOf.set(node, result);
    return result;
  };
  const totals = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    total += delta;
    const key = owner(id);
    totals.set(key, (totals.get(key) ?? 0) + delta);
  });
  return [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([owner, micros]) => ({ owner, selfMs: Math.round(micros / 1000), percent: (100 * micros) / total }));
}

function shorten(url) {
  const file = url.replace(/^file:\/\//, '');
  const nm = file.lastIndexOf('node_modules/');
  if (nm >= 0) return file.slice(nm + 'node_modules/'.length);
  return path.relative(path.resolve(__dirname, '..', '..'), file) || file;
}

module.exports = { summariseProfile, summariseByOwner };
