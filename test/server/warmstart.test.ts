// The warm start (models/train/warmstart.py): a 4-bit model folder back into float weights for training.
// Checked against the graph itself as the product runs it (onnxruntime through runtime.ts) on the tiny
// fixtures, both graphs the exports write: with the output projection kept apart (--untied) the
// dequantized weights are the graph's own function, so every position's logits agree to float
// precision; the tied checkpoint that training starts from (the int8 table as output projection too)
// differs from the graph only by the 4-bit error of that matrix. Needs python3 with torch and onnx
// (Debian's python3-torch, python3-onnx; TREASURE_PYTHON names another interpreter): skipped, saying so,
// where they are missing.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';
import { OrtModel } from '../../language-server/src/runtime';
import { TreasureTokenizer } from '../../language-server/src/tokenizer';

const script = join(repoRoot(), 'models/train/warmstart.py');
const python = process.env.TREASURE_PYTHON || 'python3';
const hasTorch = spawnSync(python, ['-c', 'import torch, onnx'], { encoding: 'utf8' }).status === 0;
const skip = hasTorch ? false : `${python} has no torch/onnx here (Debian: python3-torch python3-onnx; or set TREASURE_PYTHON)`;

function torchLogits(dir: string, ids: number[], untied: boolean): Float32Array[] {
  const tmp = mkdtempSync(join(tmpdir(), 'warmstart-'));
  try {
    const out = join(tmp, 'logits.bin');
    const r = spawnSync(python, [script, '--model', dir, '--logits', ids.join(','), '--logits-out', out, ...(untied ? ['--untied'] : [])], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { positions: number; vocab: number };
    const buf = readFileSync(out);
    const all = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    assert.equal(all.length, info.positions * info.vocab);
    return Array.from({ length: info.positions }, (_, t) => all.slice(t * info.vocab, (t + 1) * info.vocab));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

const argmax = (a: Float32Array) => a.reduce((best, v, i) => (v > a[best]! ? i : best), 0);
const maxAbs = (a: Float32Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i]!)), 0);

for (const fixture of ['tiny-model-compact', 'tiny-model-caller']) {
  test(`warm start of ${fixture}: the dequantized weights give the graph's logits`, { skip }, async () => {
    const dir = join(repoRoot(), 'test/fixtures', fixture);
    const tok = TreasureTokenizer.fromFile(join(dir, 'tokenizer.json'));
    const ids = tok.encode(buildPrompt({ task: 'CodeFix', code: 'def add(a, b):\n    return a - b' }), true).slice(0, 40);
    const model = await OrtModel.load(dir, 'cpu');
    let graph: Float32Array[];
    try {
      const s = model.start();
      graph = await s.feedAll!(ids);
      s.dispose();
    } finally {
      await model.release();
    }
    const untied = torchLogits(dir, ids, true);
    const tied = torchLogits(dir, ids, false);
    assert.equal(untied.length, ids.length);
    let exact = 0;
    let scale = 0;
    let near = 0;
    let agree = 0;
    graph.forEach((g, t) => {
      exact = Math.max(exact, maxDiff(g, untied[t]!));
      scale = Math.max(scale, maxAbs(g));
      near = Math.max(near, maxDiff(g, tied[t]!));
      if (argmax(g) === argmax(tied[t]!)) agree++;
    });
    // the graph's own function: float rounding only (the logits are O(10) here)
    assert.ok(exact < 1e-3, `untied: max |torch - onnx| = ${exact} (logits up to ${scale})`);
    // tied: the output matrix's 4-bit error, small against the logits and moving few greedy choices
    assert.ok(near > exact && near < 0.25 * scale, `tied: max |torch - onnx| = ${near} (logits up to ${scale})`);
    assert.ok(agree >= 0.75 * ids.length, `tied: the greedy token agrees at ${agree} of ${ids.length} positions`);
  });
}
