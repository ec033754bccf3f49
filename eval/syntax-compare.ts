// npx tsx eval/syntax-compare.ts A.json B.json [--kind one|two|all]
// Two runs of the syntax suite (`npm run eval -- --suite syntax --out F.json`) side by side, e.g. before
// and after a change: p50 / p95 ms per fix and the search's stage p50s (per language and all), and case
// by case the outcomes that differ (equal / wrong / no fix / rejected) with both fixes' labels.
import { readFileSync } from 'node:fs';
import { quantile, type SyntaxRecord } from './suites/syntax';

const args = process.argv.slice(2);
const files = args.filter((a) => a.endsWith('.json'));
const kindAt = args.indexOf('--kind');
const kind = kindAt >= 0 ? args[kindAt + 1] : 'one';
if (files.length !== 2) throw new Error('usage: npx tsx eval/syntax-compare.ts A.json B.json [--kind one|two|all]');

const outcome = (r: SyntaxRecord) => (r.outcome === 'exact' || r.outcome === 'same_tokens' ? 'equal' : r.outcome === 'wrong_parses' ? 'wrong' : r.outcome === 'rejected' ? 'rejected' : 'no fix');
const read = (f: string) => (JSON.parse(readFileSync(f, 'utf8')) as { records: SyntaxRecord[] }).records.filter((r) => kind === 'all' || (kind === 'two') === (r.kind === 'two'));
const [a, b] = files.map(read) as [SyntaxRecord[], SyntaxRecord[]];
const ms = (xs: number[]) => `${quantile(xs, 0.5)?.toFixed(0) ?? '-'} / ${quantile(xs, 0.95)?.toFixed(0) ?? '-'}`;
const STAGES = ['propose', 'screen', 'parse', 'rank', 'confirm'];
const stages = (rs: SyntaxRecord[]) => STAGES.map((s) => quantile(rs.map((r) => r.stages?.[s] ?? 0), 0.5)?.toFixed(0) ?? '-').join(' / ');

console.log(`${kind}-token cases: A ${files[0]}, B ${files[1]}\n`);
console.log(`| language | cases | equal A -> B | p50 / p95 ms A -> B | stage p50s A -> B (${STAGES.join(' / ')}) |`);
console.log('|---|---|---|---|---|');
for (const language of [...new Set(a.map((r) => r.language)), 'all']) {
  const ra = a.filter((r) => language === 'all' || r.language === language);
  const rb = b.filter((r) => language === 'all' || r.language === language);
  const equal = (rs: SyntaxRecord[]) => rs.filter((r) => outcome(r) === 'equal').length;
  console.log(`| ${language} | ${ra.length} | ${equal(ra)} -> ${equal(rb)} | ${ms(ra.map((r) => r.ms))} -> ${ms(rb.map((r) => r.ms))} | ${stages(ra)} -> ${stages(rb)} |`);
}
const byId = new Map(b.map((r) => [r.id, r]));
const differ = a.filter((r) => { const o = byId.get(r.id); return !o || outcome(o) !== outcome(r) || o.label !== r.label; });
console.log(`\nSame outcome and label: ${a.length - differ.length} of ${a.length}${b.length !== a.length ? ` (B has ${b.length} cases)` : ''}.`);
for (const r of differ) {
  const o = byId.get(r.id);
  console.log(`- ${r.id} (${r.mutation}): A ${outcome(r)} ${r.label ?? r.reason ?? ''} (${r.ms} ms); B ${o ? `${outcome(o)} ${o.label ?? o.reason ?? ''} (${o.ms} ms)` : 'missing'}`);
}
