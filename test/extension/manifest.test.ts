// package.json's contributions agree with the code and the taxonomy; the packaged manifest
// (scripts/package.mjs) carries the treasure.markers schema generated from models/markers.json.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { category, markerOrder } from '../../language-server/src/markers';
import { DEFAULT_SETTINGS, TRUST_RESTRICTED, UNDECIDED } from '../../language-server/src/settings';
import { NOT_SETTABLE } from '../../extension/settings';

const root = join(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const props = pkg.contributes.configuration.properties;

test('every treasure.* setting is declared with the shared default and the scope the issue asks for', () => {
  assert.equal(props['treasure.enable'].default, DEFAULT_SETTINGS.enable);
  assert.deepEqual(props['treasure.markers'].default, DEFAULT_SETTINGS.markers);
  assert.equal(props['treasure.model.path'].default, DEFAULT_SETTINGS.model.path);
  assert.equal(props['treasure.device'].default, DEFAULT_SETTINGS.device);
  assert.deepEqual(props['treasure.device'].enum, ['auto', 'cpu', 'gpu']);
  assert.equal(props['treasure.maxFixTokens'].default, DEFAULT_SETTINGS.maxFixTokens);
  assert.equal(props['treasure.syntaxDiagnostics'].default, DEFAULT_SETTINGS.syntaxDiagnostics);
  assert.equal(props['treasure.model.path'].scope, 'machine');
  assert.equal(props['treasure.markers'].scope, 'language-overridable');
  assert.equal(props['treasure.verify.command'].default, DEFAULT_SETTINGS.verify.command);
  assert.equal(props['treasure.verify.command'].scope, 'resource');
  for (const p of ['${file}', '${function}', '${workspaceFolder}']) assert.ok(props['treasure.verify.command'].markdownDescription.includes(p), p);
  assert.equal(props['treasure.verify.undecided'].default, DEFAULT_SETTINGS.verify.undecided);
  assert.deepEqual(props['treasure.verify.undecided'].enum, UNDECIDED);
  // the calibrated threshold of unverified fixes: the same default as the code, a number 0-1 or "never"
  assert.equal(props['treasure.unverified.minConfidence'].default, DEFAULT_SETTINGS.unverified.minConfidence);
  assert.deepEqual(props['treasure.unverified.minConfidence'].anyOf, [{ type: 'number', minimum: 0, maximum: 1 }, { type: 'string', enum: ['never'] }]);
  assert.deepEqual(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.sort(), TRUST_RESTRICTED.map((name) => `treasure.${name}`).sort());
});

test('the extension activates for every language the taxonomy maps', () => {
  const langs = Object.keys(category('code_type').languageIds ?? {});
  assert.deepEqual(pkg.activationEvents.sort(), langs.map((l) => `onLanguage:${l}`).sort());
});

test('every command the client registers is contributed, and the other way round', () => {
  const source = readFileSync(join(root, 'extension/commands.ts'), 'utf8');
  const registered = [...source.matchAll(/'(treasure\.[A-Za-z]+)': /g)].map((m) => m[1]).sort();
  assert.deepEqual(pkg.contributes.commands.map((c: { command: string }) => c.command).sort(), registered);
});

test('the packaged manifest: markers schema from the taxonomy, no scripts or dependencies', async () => {
  const { stagedManifest } = await import('../../scripts/package.mjs');
  const taxonomy = JSON.parse(readFileSync(join(root, 'models/markers.json'), 'utf8'));
  const staged = stagedManifest(pkg, taxonomy);
  assert.equal(staged.scripts, undefined);
  assert.equal(staged.dependencies, undefined);
  const schema = staged.contributes.configuration.properties['treasure.markers'];
  assert.equal(schema.additionalProperties, false);
  assert.equal(schema.scope, 'language-overridable');
  const settable = markerOrder().filter((k) => !(k in NOT_SETTABLE));
  assert.deepEqual(Object.keys(schema.properties), settable);
  assert.deepEqual(schema.properties.domain.enum, category('domain').values);
  assert.equal(schema.properties.length_lines.maximum, category('length_lines').max);
});
