// Per-file filters, language detection, dedup and split of the corpus build (models/data/corpus).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathFilter, contentFilter } from '../../models/data/corpus/filters';
import { codeTypeFromName, codeTypeFromShebang, headerCodeType, headerLanguageNearby } from '../../models/data/corpus/lang';
import { exactKey, minhash, jaccardEstimate, NearDupIndex } from '../../models/data/corpus/dedup';
import { splitOf } from '../../models/data/corpus/split';
import { packageDomain, fileDomain, qualityScore, qualityBucket } from '../../models/data/corpus/labels';
import type { Limits } from '../../models/data/corpus/types';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../models/data/manifest.json'), 'utf8')) as { limits: Limits };
const limits = manifest.limits;
const markers = JSON.parse(readFileSync(join(__dirname, '../../models/markers.json'), 'utf8')) as { categories: Record<string, { values?: string[] }> };

const goodPython = `"""Helpers for parsing key=value configuration files."""


def parse_line(line):
    """Return (key, value) for a 'key = value' line, or None for blanks and comments."""
    line = line.strip()
    if not line or line.startswith('#'):
        return None
    key, _, value = line.partition('=')
    return key.strip(), value.strip()


def parse(text):
    """Parse a whole file into a dict."""
    out = {}
    for raw in text.splitlines():
        kv = parse_line(raw)
        if kv:
            out[kv[0]] = kv[1]
    return out
`;

test('language detection by extension, header content and shebang', () => {
  assert.equal(codeTypeFromName('src/a/b.py'), 'python');
  assert.equal(codeTypeFromName('x/index.tsx'), 'typescript');
  assert.equal(codeTypeFromName('lib/x.mjs'), 'javascript');
  assert.equal(codeTypeFromName('Foo.java'), 'java');
  assert.equal(codeTypeFromName('a.rs'), 'rust');
  assert.equal(codeTypeFromName('a.cc'), 'cpp');
  assert.equal(codeTypeFromName('a.cs'), 'csharp');
  assert.equal(codeTypeFromName('lib/Foo/Bar.pm'), 'perl');
  assert.equal(codeTypeFromName('Main.hs'), 'haskell');
  assert.equal(codeTypeFromName('README.md'), null);
  assert.equal(codeTypeFromName('a.h'), '?h');
  assert.equal(codeTypeFromName('bin/tool'), '?');
  assert.equal(codeTypeFromName('usr/share/bash-completion/completions/git'), 'shell');
  assert.equal(codeTypeFromShebang('#!/bin/sh'), 'shell');
  assert.equal(codeTypeFromShebang('#!/usr/bin/env bash'), 'shell');
  assert.equal(codeTypeFromShebang('#!/usr/bin/python3'), 'python');
  assert.equal(codeTypeFromShebang('#!/usr/bin/env perl'), 'perl');
  assert.equal(codeTypeFromShebang('hello'), null);
  assert.equal(headerCodeType('namespace foo { template <typename T> class X {}; }'), 'cpp');
  assert.equal(headerCodeType('#ifndef X_H\nint add(int a, int b);\n#endif\n'), 'c');
  // C++ words in comments or strings do not make a C header C++ (capstone's ARMBaseInfo.h, RISCVBaseInfo.h)
  assert.equal(headerCodeType('/// ARMII - This namespace holds all of the target specific flags\nstatic inline bool isLow(unsigned r)\n{\n\t//using namespace ARM;\n\treturn r < 8;\n}\n'), 'c');
  assert.equal(headerCodeType('/* template <class T> is C++ */\nconst char *s = "std::string // class X {";\nchar q = \'"\';\n'), 'c');
  assert.equal(headerCodeType('const char *s = "a // b"; namespace x { }\n'), 'cpp');
  assert.equal(headerCodeType('// a comment\n#include <vector>\n'), 'cpp');
  // A header with no C++-only code takes the language of the sources nearest to it.
  const nearby = headerLanguageNearby([
    'src/world.cpp', 'src/body.cpp', 'src/joint.cpp', 'src/contact.cpp', 'src/shape.h', 'src/detail/aabb.h', 'include/api.h',
    'third_party/zlib/inflate.c', 'third_party/zlib/deflate.c', 'third_party/zlib/zlib.h', 'tools/gen.c',
  ]);
  assert.equal(nearby('src/shape.h'), 'cpp');
  assert.equal(nearby('src/detail/aabb.h'), 'cpp'); // the nearest folder with sources: src/
  assert.equal(nearby('third_party/zlib/zlib.h'), 'c'); // a bundled C library inside a C++ project
  assert.equal(nearby('include/api.h'), 'cpp'); // no sources under include/: the whole package's (4 C++, 3 C)
  assert.equal(headerLanguageNearby(['a.c', 'b.cc', 'x.h'])('x.h'), 'c'); // as many of each: C
  assert.equal(headerLanguageNearby(['README'])('x.h'), 'c'); // no sources at all
  assert.equal(headerCodeType('struct aabb { float lo[3], hi[3]; };\n', nearby('src/shape.h')), 'cpp');
  assert.equal(headerCodeType('namespace b2 { struct v { float x; }; }\n', 'c'), 'cpp'); // C++ code wins over its folder
  // Every code type we can produce is a markers.json value.
  const values = new Set(markers.categories.code_type!.values);
  for (const p of ['a.py', 'a.js', 'a.ts', 'a.java', 'a.go', 'a.rs', 'a.c', 'a.cpp', 'a.cs', 'a.php', 'a.rb', 'a.sh', 'a.lua', 'a.pl', 'a.hs']) {
    assert.ok(values.has(codeTypeFromName(p)!), p);
  }
});

test('path rules drop vendored, build output, lock and generated-name files', () => {
  assert.equal(pathFilter('src/vendor/github.com/x/y.go', 'deb'), 'vendored');
  assert.equal(pathFilter('third_party/zlib/inflate.c', 'deb-src'), 'vendored');
  assert.equal(pathFilter('pkg/node_modules/a/index.js', 'npm'), 'vendored');
  assert.equal(pathFilter('dist/index.js', 'npm'), 'build_output');
  assert.equal(pathFilter('types/index.d.ts', 'npm'), 'build_output');
  assert.equal(pathFilter('lib/jquery.min.js', 'deb'), 'lock_or_data_name');
  assert.equal(pathFilter('api/foo.pb.go', 'deb'), 'lock_or_data_name');
  assert.equal(pathFilter('x/thing_pb2.py', 'deb'), 'lock_or_data_name');
  assert.equal(pathFilter('src/index.ts', 'npm'), null);
  assert.equal(pathFilter('usr/lib/python3/dist-packages/a/b.py', 'deb'), null);
  // Debian trees keep dist/ and build/ directories (they are not npm build output there).
  assert.equal(pathFilter('usr/lib/python3/dist-packages/setuptools/command/build/x.py', 'deb'), null);
});

test('content rules: generated, minified, bundled, data fixtures, size', () => {
  assert.equal(contentFilter(goodPython, 'python', limits), null);
  assert.equal(contentFilter(`// Code generated by protoc-gen-go. DO NOT EDIT.\n${goodPython}`, 'go', limits), 'generated');
  assert.equal(contentFilter(`# This file was automatically generated by SWIG\n${goodPython}`, 'python', limits), 'generated');
  assert.equal(contentFilter(`${'var a=function(b){return b+1};'.repeat(60)}\n${goodPython}`, 'javascript', limits), 'minified');
  assert.equal(contentFilter(`"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\n${goodPython}`, 'javascript', limits), 'minified');
  assert.equal(contentFilter(`${goodPython}\n//# sourceMappingURL=index.js.map\n`, 'javascript', limits), 'minified');
  const table = `TABLE = [\n${Array.from({ length: 300 }, (_, i) => `    ${i * 7919 % 100000}, ${i * 104729 % 100000}, ${i * 31 % 1000},`).join('\n')}\n]\n`;
  assert.equal(contentFilter(table, 'python', limits), 'data_fixture');
  const hex = `static const unsigned char blob[] = {\n${Array.from({ length: 400 }, () => '  0x1f, 0x8b, 0x08, 0x00, 0xab, 0xcd, 0xef, 0x01,').join('\n')}\n};\n`;
  assert.equal(contentFilter(hex, 'c', limits), 'data_fixture');
  assert.equal(contentFilter('x = 1\n', 'python', limits), 'too_small');
  assert.equal(contentFilter(`${goodPython}\n# ${'a'.repeat(limits.maxFileBytes)}\n`, 'python', limits), 'too_large');
});

test('exact duplicates ignore trailing whitespace; MinHash separates near duplicates from unrelated files', () => {
  assert.equal(exactKey(goodPython), exactKey(goodPython.replace(/\n/g, '   \n')));
  assert.notEqual(exactKey(goodPython), exactKey(goodPython.replace('parse_line', 'parse_one')));
  const a = minhash(goodPython, 5, 128);
  const near = minhash(goodPython.replace('Parse a whole file into a dict.', 'Parse a whole configuration file into a dict.'), 5, 128);
  const other = minhash(readFileSync(join(__dirname, 'fixtures/corpus/packages/gotool/main.go'), 'utf8'), 5, 128);
  assert.ok(jaccardEstimate(a, near) >= 0.8, `near ${jaccardEstimate(a, near)}`);
  assert.ok(jaccardEstimate(a, other) < 0.2, `other ${jaccardEstimate(a, other)}`);
  const idx = new NearDupIndex(16, 8, 0.8);
  assert.equal(idx.add(a), -1);
  assert.equal(idx.add(other), -1);
  assert.equal(idx.add(near), 0);
  assert.equal(idx.size, 2);
});

test('split is by package, deterministic, and roughly follows the fractions', () => {
  const frac = { valid: 0.05, test: 0.05 };
  assert.equal(splitOf('python3-requests', 1, frac), splitOf('python3-requests', 1, frac));
  const counts = { train: 0, valid: 0, test: 0 };
  for (let i = 0; i < 4000; i++) counts[splitOf(`pkg-${i}`, 7, frac)]++;
  assert.ok(counts.valid > 120 && counts.valid < 280, JSON.stringify(counts));
  assert.ok(counts.test > 120 && counts.test < 280, JSON.stringify(counts));
});

test('domain and quality markers use markers.json values', () => {
  const domains = new Set(markers.categories.domain!.values);
  const buckets = new Set(markers.categories.quality_bucket!.values);
  assert.equal(packageDomain('httpd', 'nginx', '', []), 'Web');
  assert.equal(packageDomain('database', 'sqlite3', '', []), 'Database');
  assert.equal(packageDomain('python', 'python3-cryptography', 'cryptographic recipes and primitives', []), 'Security');
  assert.equal(packageDomain('npm', 'jslib', '', ['http', 'router']), 'Web');
  assert.equal(packageDomain('golang', 'golang-1.19-src', 'Go programming language - source files', []), 'General');
  assert.equal(fileDomain('import socket\nimport struct\n', 'General', 'a/b.py'), 'Networking');
  assert.equal(fileDomain('x = 1', 'General', 'tests/test_a.py'), 'Testing');
  assert.equal(fileDomain('import socket', 'Database', 'a.py'), 'Database');
  for (const d of ['Web', 'Database', 'Security', 'Networking', 'Testing', 'General']) assert.ok(domains.has(d));
  const hi = qualityScore(goodPython, 'python', { hasTests: true, popularity: 100, npmSrcTree: false, kind: 'deb' });
  const lo = qualityScore('x=1\ny=2\n', 'python', { hasTests: false, popularity: 0, npmSrcTree: false, kind: 'deb' });
  assert.equal(qualityBucket(hi), '1');
  assert.equal(qualityBucket(lo), '4');
  for (let s = 0; s <= 6; s++) assert.ok(buckets.has(qualityBucket(s)));
});
