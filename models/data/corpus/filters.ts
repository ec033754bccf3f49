// Per-file filters: path rules (vendored, build output, lock files), then content rules (generated,
// minified/bundled, data fixtures). Each returns a DropReason or null (keep).
import type { DropReason, Limits, SourceKind } from './types.js';

const VENDORED = /(?:^|\/)(?:vendor|vendored|third[_-]?party|3rdparty|node_modules|bower_components|jspm_packages|site-packages\/[^/]+\/_vendor|_vendor)\//i;
const BUILD_OUTPUT = /(?:^|\/)(?:dist|build|umd|bundles?|esm5|fesm2015|fesm2020|fesm2022|cjs|esm|_bundles|out|min|coverage|\.git|__pycache__)\//;
const LOCK_OR_DATA = /(?:^|\/)(?:package-lock\.json|yarn\.lock|pnpm-lock\.yaml|Cargo\.lock|Gemfile\.lock|composer\.lock|poetry\.lock|go\.sum)$|\.min\.[cm]?js$|[.-]bundle\.[cm]?js$|\.(?:pb|pb2|pb2_grpc|generated|gen)\.\w+$|_pb2(?:_grpc)?\.py$|\.pb\.go$|_string\.go$|zz_generated[^/]*\.go$|\.g\.cs$|\.designer\.cs$/i;

/** Path rules. `kind` lets npm trees drop compiled output that Debian source trees would keep. */
export function pathFilter(path: string, kind: SourceKind): DropReason | null {
  if (VENDORED.test(path)) return 'vendored';
  if (LOCK_OR_DATA.test(path)) return 'lock_or_data_name';
  if (/\.d\.[cm]?ts$/.test(path)) return 'build_output';
  if (kind === 'npm' && BUILD_OUTPUT.test(path)) return 'build_output';
  return null;
}

const GENERATED = /DO NOT EDIT|Code generated .* DO NOT|@generated\b|[Aa]uto-?generated (?:file|code|by)|automatically generated|This file (?:is|was|has been) generated|[Gg]enerated by (?:the )?(?:protoc|swig|cython|bison|flex|yacc|thrift|pyrcc|Qt|moc|cbindgen|bindgen|rust-bindgen|mkerrors|mksyscall|stringer|cgo|the Go|tsc|babel|Babel|webpack|rollup|esbuild|CoffeeScript|Haxe|Emscripten)|WARNING: This file is machine generated|^\/\/ Generated from /m;
const BUNDLED = /__webpack_require__|\/\/# sourceMappingURL=|\/\*# sourceMappingURL=|Object\.defineProperty\(exports, ["']__esModule["']|\bvar __(?:awaiter|generator|extends|assign|decorate|importDefault|createBinding)\s*=|\(function\s*\(\s*(?:e|t|n|r|i)\s*,\s*(?:e|t|n|r|i)\s*\)\s*\{\s*["']object["']\s*==\s*typeof exports|\bparcelRequire\b|System\.register\(/;

/** Content rules on a decoded file. */
export function contentFilter(text: string, codeType: string, limits: Limits): DropReason | null {
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxFileBytes) return 'too_large';
  if (bytes < limits.minFileBytes) return 'too_small';
  const head = text.length > 4000 ? text.slice(0, 4000) : text;
  if (GENERATED.test(head)) return 'generated';
  if ((codeType === 'javascript' || codeType === 'typescript') && BUNDLED.test(text)) return 'minified';
  // Line statistics.
  let lines = 0, longest = 0, start = 0, nonBlank = 0;
  for (let i = 0; i <= text.length; i++) {
    if (i === text.length || text.charCodeAt(i) === 10) {
      const len = i - start;
      if (len > longest) longest = len;
      if (len > 0) nonBlank++;
      lines++;
      start = i + 1;
    }
  }
  if (longest > limits.maxLineLength) return 'minified';
  if (nonBlank > 0 && text.length / nonBlank > limits.maxMeanLineLength) return 'minified';
  if (nonBlank < 3) return 'too_small';
  // Data fixtures: mostly numbers/punctuation (tables, test vectors, embedded binaries).
  let alpha = 0, digits = 0;
  const n = Math.min(text.length, 200000);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95) alpha++;
    else if (c >= 48 && c <= 57) digits++;
  }
  if (alpha / n < 0.25 || digits > alpha * 1.5) return 'data_fixture';
  // Hex/byte tables: many 0x.. literals.
  const hex = (n < text.length ? text.slice(0, n) : text).match(/0x[0-9a-fA-F]{2,}/g);
  if (hex && hex.length > 64 && hex.length * 6 > n * 0.3) return 'data_fixture';
  return null;
}
