// Licence detection for the corpus build (models/data/corpus/licence.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseLicence, licenceFromText, parseCopyright, fileLicence, npmLicence, licenceAllowed } from '../../models/data/corpus/licence';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../models/data/manifest.json'), 'utf8')) as { licenses: { allow: string[] } };
const allow = new Set(manifest.licenses.allow);

test('normalises DEP-5 and npm licence names to SPDX-like ids', () => {
  assert.equal(normaliseLicence('Expat'), 'MIT');
  assert.equal(normaliseLicence('MIT'), 'MIT');
  assert.equal(normaliseLicence('Apache-2.0'), 'Apache-2.0');
  assert.equal(normaliseLicence('Apache 2.0'), 'Apache-2.0');
  assert.equal(normaliseLicence('BSD-3-clause'), 'BSD-3-Clause');
  assert.equal(normaliseLicence('GPL-2+'), 'GPL-2.0-or-later');
  assert.equal(normaliseLicence('GPL-2'), 'GPL-2.0');
  assert.equal(normaliseLicence('LGPL-2.1+'), 'LGPL-2.1-or-later');
  assert.equal(normaliseLicence('GPL-2 with Classpath exception'), 'GPL-2.0');
  assert.equal(normaliseLicence('Artistic or GPL-1+'), 'Artistic-1.0 OR GPL-1.0-or-later');
  assert.equal(normaliseLicence('(MIT OR Apache-2.0)'), 'MIT OR Apache-2.0');
  assert.equal(normaliseLicence('public-domain'), 'public-domain');
  assert.equal(normaliseLicence('SEE LICENSE IN EULA.txt'), 'unknown');
  assert.equal(normaliseLicence(''), 'unknown');
});

test('recognises licence texts', () => {
  assert.equal(licenceFromText('Permission is hereby granted, free of charge, to any person obtaining a copy'), 'MIT');
  assert.equal(licenceFromText('                                 Apache License\n                           Version 2.0, January 2004'), 'Apache-2.0');
  assert.equal(licenceFromText('Redistribution and use in source and binary forms ... Neither the name of the copyright holder'), 'BSD-3-Clause');
  assert.equal(licenceFromText('Redistribution and use in source and binary forms, with or without modification'), 'BSD-2-Clause');
  assert.equal(licenceFromText('This library is free software; you can redistribute it and/or modify it under the same terms as Perl itself.'), 'Artistic-1.0 OR GPL-1.0-or-later');
  assert.equal(licenceFromText('// SPDX-License-Identifier: BSD-2-Clause\nint x;'), 'BSD-2-Clause');
  assert.equal(licenceFromText('All rights reserved.'), 'unknown');
});

const DEP5 = `Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/
Upstream-Name: demo

Files: *
Copyright: 2020 A
License: Expat

Files: lib/compat/*
Copyright: 2019 B
License: BSD-3-clause

Files: lib/closed.c
Copyright: 2019 C
License: Vendor-EULA
 All rights reserved.

Files: debian/*
Copyright: 2021 D
License: GPL-2+
`;

test('parses DEP-5 copyright files and assigns per-file licences', () => {
  const cr = parseCopyright(DEP5);
  assert.equal(cr.dep5, true);
  assert.equal(cr.license, 'MIT');
  assert.equal(fileLicence('src/main.c', 'int main(void) { return 0; }', cr), 'MIT');
  assert.equal(fileLicence('lib/compat/strl.c', '', cr), 'BSD-3-Clause');
  // Binary packages install under other prefixes: stanza globs match path suffixes too.
  assert.equal(fileLicence('usr/include/demo/lib/compat/strl.h', '', cr), 'BSD-3-Clause');
  assert.equal(fileLicence('lib/closed.c', '', cr), 'unknown');
  // An SPDX header wins over the copyright file.
  assert.equal(fileLicence('src/x.c', '/* SPDX-License-Identifier: Apache-2.0 */\n', cr), 'Apache-2.0');
});

test('parses free-text copyright files', () => {
  const cr = parseCopyright('This package was debianized by X.\n\nLicense:\n\n Permission is hereby granted, free of charge, to any person obtaining a copy of this software');
  assert.equal(cr.dep5, false);
  assert.equal(cr.license, 'MIT');
});

test('reads npm licence fields', () => {
  assert.equal(npmLicence({ license: 'MIT' }), 'MIT');
  assert.equal(npmLicence({ license: { type: 'ISC' } }), 'ISC');
  assert.equal(npmLicence({ licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] }), 'MIT OR Apache-2.0');
  assert.equal(npmLicence({ license: 'SEE LICENSE IN LICENSE' }, 'Permission is hereby granted, free of charge, to any person'), 'MIT');
  assert.equal(npmLicence({ license: 'UNLICENSED' }), 'unknown');
});

test('licence policy: OR needs one allowed alternative, AND needs all', () => {
  assert.ok(licenceAllowed('MIT', allow));
  assert.ok(licenceAllowed('GPL-2.0-or-later', allow));
  assert.ok(licenceAllowed('unknown OR MIT', allow));
  assert.ok(!licenceAllowed('unknown', allow));
  assert.ok(!licenceAllowed('MIT AND unknown', allow));
  assert.ok(!licenceAllowed('CC-BY-NC-4.0', allow));
});
