import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  lengthBucket,
  lineLimit,
  markerOrder,
  mergeMarkers,
  parseMarkerArgs,
  parseMarkerList,
  serialize,
  validateMarker,
  type Markers,
} from '../../language-server/src/markers';
import { repoRoot } from '../../language-server/src/paths';
import { buildPrompt } from '../../language-server/src/prompt';

function python(args: string[]): string {
  const r = spawnSync('python3', [join(repoRoot(), 'models/train/markers.py'), ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.replace(/\n$/, '');
}

const cases: Markers[] = [
  { task: 'CodeFix', code_type: 'python' },
  { code_type: 'rust', task: 'CodeGeneration', length_lines: '12', length_bucket: 'medium' },
  {
    task: 'CodeFix', code_type: 'cpp', domain: 'Systems', error_type: 'operator_misuse', length_bucket: 'concise',
    length_lines: '7', length_tokens: '93', quality_bucket: '1', source: 'Synthetic',
  },
  { source: 'Human' },
  {},
];

test('serialize matches models/train/markers.py serialize()', () => {
  for (const m of cases) assert.equal(serialize(m), python(['serialize', JSON.stringify(m)]), JSON.stringify(m));
});

test('prompt layout matches models/train/markers.py render()', () => {
  const example = {
    task: 'CodeFix', code: 'def f(x)\n    return x', diagnostic: 'syntax error: missing ":"', answer: 'def f(x):\n    return x',
    markers: { task: 'CodeFix', code_type: 'python', error_type: 'syntax_error' },
  };
  const py = JSON.parse(python(['example', JSON.stringify(example)])) as { prompt: string; completion: string };
  assert.equal(buildPrompt({ task: 'CodeFix', code: example.code, diagnostic: example.diagnostic, given: example.markers }), py.prompt);
  const noMarkers = { ...example, diagnostic: undefined };
  const py2 = JSON.parse(python(['example', JSON.stringify(noMarkers)])) as { prompt: string };
  assert.equal(buildPrompt({ task: 'CodeFix', code: example.code, given: example.markers }), py2.prompt);
});

test('serialize uses the taxonomy order and the exact spacing', () => {
  assert.equal(serialize({ code_type: 'python', task: 'CodeFix' }), '<MARKER_LIST> <task> CodeFix </task> <code_type> python </code_type> </MARKER_LIST>');
  assert.deepEqual(markerOrder().slice(0, 2), ['task', 'code_type']);
});

test('parseMarkerList inverts serialize and drops what the taxonomy does not know', () => {
  for (const m of cases) assert.deepEqual(parseMarkerList(serialize(m)).markers, m);
  const r = parseMarkerList('<MARKER_LIST> <task> CodeFix </task> <domain> Cooking </domain> <length_lines> 4 </length_lines> </MARKER_LIST>');
  assert.deepEqual(r.markers, { task: 'CodeFix', length_lines: '4' });
  assert.equal(r.errors.length, 1);
});

test('validation: unknown markers and values are refused with a clear message, spelling is canonical', () => {
  assert.equal(validateMarker('task', 'codefix'), 'CodeFix');
  assert.equal(validateMarker('length_lines', '007'), '7');
  assert.throws(() => validateMarker('colour', 'red'), /unknown marker "colour"/);
  assert.throws(() => validateMarker('domain', 'Cooking'), /unknown value "Cooking"/);
  assert.throws(() => validateMarker('length_lines', '0'), /out of range/);
  assert.throws(() => validateMarker('length_lines', 'ten'), /not a whole number/);
  assert.deepEqual(parseMarkerArgs(['domain=Web', 'length_bucket=concise']), { domain: 'Web', length_bucket: 'concise' });
  assert.throws(() => parseMarkerArgs(['domain']), /key=value/);
});

test('merge precedence: explicit > settings > context > model, with the source of each', () => {
  const r = mergeMarkers({
    model: { domain: 'Data', error_type: 'missing_logic' },
    context: { task: 'CodeFix', code_type: 'python', domain: 'Science', length_bucket: 'medium' },
    settings: { domain: 'Web', length_bucket: 'concise' },
    explicit: { length_bucket: 'long' },
  });
  assert.deepEqual(r.markers, { task: 'CodeFix', code_type: 'python', domain: 'Web', error_type: 'missing_logic', length_bucket: 'long' });
  assert.deepEqual(r.sources, { task: 'context', code_type: 'context', domain: 'settings', error_type: 'model', length_bucket: 'explicit' });
});

test('length buckets follow the taxonomy bounds', () => {
  assert.equal(lengthBucket(1), 'concise');
  assert.equal(lengthBucket(10), 'concise');
  assert.equal(lengthBucket(11), 'medium');
  assert.equal(lengthBucket(31), 'long');
});

test('the line limit of a request: length_lines, else the bucket bound (none for long)', () => {
  assert.equal(lineLimit({ length_bucket: 'concise' }), 10);
  assert.equal(lineLimit({ length_bucket: 'medium' }), 30);
  assert.equal(lineLimit({ length_bucket: 'long' }), undefined);
  assert.equal(lineLimit({ length_lines: '4', length_bucket: 'medium' }), 4);
  assert.equal(lineLimit({ length_lines: 'x' }), undefined);
  assert.equal(lineLimit({}), undefined);
});

test("marker-values.ts (each marker's value type) is what models/markers.json gives", () => {
  const r = spawnSync(process.execPath, [join(repoRoot(), 'scripts/gen-marker-types.mjs'), '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
