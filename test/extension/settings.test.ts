// Client-side settings logic (extension/settings.ts): team marker defaults validated against
// models/markers.json, layered like VS Code layers settings, and Workspace Trust restrictions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applyTrust, DEFAULT_SETTINGS, resolveSettings } from '../../language-server/src/settings';
import { checkMarker, checkScalars, describeProblem, resolveMarkers, restrictedValue, undecidedOf, validateMarkers, verifyBuildOf, verifyCommandOf, type SettingProblem } from '../../extension/settings';

test('known markers with allowed values are kept, in their canonical form', () => {
  const r = validateMarkers({ domain: 'Web', length_bucket: 'concise', quality_bucket: 1, length_lines: '12', source: 'human' }, 'user settings');
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.markers, { domain: 'Web', length_bucket: 'concise', quality_bucket: '1', length_lines: '12', source: 'Human' });
});

test('unknown markers and values are reported with where they were set, and ignored', () => {
  const r = validateMarkers({ domain: 'Webb', flavour: 'spicy', length_lines: 0, error_type: 'operator_misuse' }, 'workspace settings');
  assert.deepEqual(r.markers, { error_type: 'operator_misuse' });
  const messages = r.problems.map(describeProblem);
  assert.equal(messages.length, 3);
  assert.match(messages[0]!, /^treasure\.markers in workspace settings: .*Webb.*allowed: Web, Systems/);
  assert.match(messages[1]!, /unknown marker "flavour" \(known: domain, error_type/);
  assert.match(messages[2]!, /length_lines.*0.*out of range 1\.\.2000/);
});

test('task and code_type cannot be team defaults (the command and the language decide them)', () => {
  const r = validateMarkers({ task: 'CodeFix', code_type: 'python', domain: 'Data' }, 'user settings');
  assert.deepEqual(r.markers, { domain: 'Data' });
  assert.equal(r.problems.length, 2);
  assert.match(r.problems[0]!.message, /"task" cannot be a default/);
  assert.match(r.problems[1]!.message, /"code_type" cannot be a default/);
  assert.ok('error' in checkMarker('code_type', 'rust'));
});

test('a treasure.markers value that is not an object is reported', () => {
  for (const bad of ['Web', 3, ['domain']]) {
    const r = validateMarkers(bad, 'user settings');
    assert.deepEqual(r.markers, {});
    assert.match(r.problems[0]!.message, /expected an object/);
  }
  assert.deepEqual(validateMarkers(undefined, 'x'), { markers: {}, problems: [] });
});

test('layers merge marker by marker; language-specific values beat every plain one; sources are kept', () => {
  const r = resolveMarkers(
    {
      defaultValue: {},
      globalValue: { domain: 'General', quality_bucket: '2' },
      workspaceValue: { domain: 'Web' },
      workspaceFolderValue: { length_bucket: 'medium' },
      globalLanguageValue: { length_bucket: 'concise' },
      workspaceLanguageValue: { domain: 'Science', nonsense: 'x' },
    },
    'python',
    true,
  );
  assert.deepEqual(r.markers, { domain: 'Science', quality_bucket: '2', length_bucket: 'concise' });
  assert.deepEqual(r.sources, {
    domain: 'workspace settings ([python])',
    quality_bucket: 'user settings',
    length_bucket: 'user settings ([python])',
  });
  assert.equal(r.problems.length, 1);
  assert.equal(r.problems[0]!.where, 'workspace settings ([python])');
});

test('in a single-folder window the folder layer is the workspace layer', () => {
  const same = { domain: 'Web' };
  const r = resolveMarkers({ workspaceValue: same, workspaceFolderValue: same, workspaceLanguageValue: { source: 'Human' }, workspaceFolderLanguageValue: { source: 'Human' } }, 'python');
  assert.deepEqual(r.sources, { domain: 'workspace settings', source: 'workspace settings ([python])' });
});

test('an untrusted workspace cannot change a restricted setting; a trusted one can', () => {
  const device = { defaultValue: 'auto', globalValue: 'cpu', workspaceValue: 'gpu' };
  assert.deepEqual(restrictedValue(device, true, 'auto'), { value: 'gpu' });
  assert.deepEqual(restrictedValue(device, false, 'auto'), { value: 'cpu', ignored: 'workspace settings' });
  assert.deepEqual(restrictedValue({ defaultValue: '', workspaceFolderValue: '/tmp/evil-model' }, false, '', true), { value: '', ignored: 'folder settings' });
  assert.deepEqual(restrictedValue({ defaultValue: 'auto' }, false, 'auto'), { value: 'auto' });
});

test('scalar settings: invalid values fall back to the defaults and are reported', () => {
  const ok = checkScalars({ device: 'gpu', maxFixTokens: 256, modelPath: ' /models/x ' });
  assert.deepEqual(ok, { device: 'gpu', maxFixTokens: 256, modelPath: '/models/x', problems: [] });
  const bad = checkScalars({ device: 'tpu', maxFixTokens: 1.5, modelPath: 7 });
  assert.equal(bad.device, DEFAULT_SETTINGS.device);
  assert.equal(bad.maxFixTokens, DEFAULT_SETTINGS.maxFixTokens);
  assert.equal(bad.modelPath, DEFAULT_SETTINGS.model.path);
  assert.deepEqual(bad.problems.map((p) => p.setting), ['treasure.device', 'treasure.maxFixTokens', 'treasure.model.path']);
});

test('treasure.verify.command: a workspace sets it only with trust; a non-string is reported and ignored', () => {
  const cmd = { defaultValue: '', workspaceValue: 'python3 -m pytest -k ${function}' };
  assert.deepEqual(restrictedValue(cmd, true, ''), { value: 'python3 -m pytest -k ${function}' });
  assert.deepEqual(restrictedValue(cmd, false, ''), { value: '', ignored: 'workspace settings' });
  const problems: SettingProblem[] = [];
  assert.equal(verifyCommandOf('  make check  ', problems), 'make check');
  assert.equal(verifyCommandOf(undefined, problems), DEFAULT_SETTINGS.verify.command);
  assert.equal(problems.length, 0);
  assert.equal(verifyCommandOf(['make'], problems), '');
  assert.deepEqual(problems.map((p) => p.setting), ['treasure.verify.command']);
});

test('the server reads treasure.verify.command nested or flat, trimmed; other types leave the default', () => {
  assert.equal(resolveSettings({}).verify.command, '');
  assert.equal(resolveSettings({ verify: { command: ' pytest -q ${file} ' } }).verify.command, 'pytest -q ${file}');
  assert.equal(resolveSettings({}, { 'treasure.verify.command': 'make test' }).verify.command, 'make test');
  assert.equal(resolveSettings({ verify: { command: 3 } }).verify.command, '');
});

test('treasure.verify.build beside the command: nested or flat, trimmed, reported when not a string, dropped without trust', () => {
  const both = resolveSettings({ verify: { command: 'java -cp out Main', build: ' javac -d out *.java ' } });
  assert.deepEqual(both.verify, { command: 'java -cp out Main', build: 'javac -d out *.java', undecided: 'offer' });
  assert.equal(resolveSettings({}, { 'treasure.verify.build': 'make' }).verify.build, 'make');
  assert.equal(resolveSettings({}).verify.build, '');
  const problems: SettingProblem[] = [];
  assert.equal(verifyBuildOf(7, problems), '');
  assert.deepEqual(problems.map((p) => p.setting), ['treasure.verify.build']);
  assert.deepEqual(applyTrust(both, false, DEFAULT_SETTINGS).verify, { command: '', build: '', undecided: 'offer' });
});

test('treasure.verify.undecided: offer (default) or withhold, nested or flat; another value is reported and ignored; trust does not touch it', () => {
  assert.equal(resolveSettings({}).verify.undecided, 'offer');
  assert.equal(resolveSettings({ verify: { undecided: 'withhold' } }).verify.undecided, 'withhold');
  assert.equal(resolveSettings({}, { 'treasure.verify.undecided': 'withhold' }).verify.undecided, 'withhold');
  // a language section overrides the general one; a wrong value leaves what the layers below gave
  assert.equal(resolveSettings({ verify: { undecided: 'withhold' } }, { treasure: { verify: { undecided: 'maybe' } } }).verify.undecided, 'withhold');
  const withheld = resolveSettings({ verify: { command: 'make test', undecided: 'withhold' } });
  // withholding only ever shows less: an untrusted workspace may keep it (it runs no test anyway)
  assert.deepEqual(applyTrust(withheld, false, DEFAULT_SETTINGS).verify, { command: '', build: '', undecided: 'withhold' });
  const problems: SettingProblem[] = [];
  assert.equal(undecidedOf('withhold', problems), 'withhold');
  assert.equal(undecidedOf(undefined, problems), 'offer');
  assert.equal(undecidedOf('abstain', problems), 'offer');
  assert.deepEqual(problems.map((p) => p.setting), ['treasure.verify.undecided']);
  assert.match(problems[0]!.message, /allowed: offer, withhold/);
});
