import { readFileSync } from 'node:fs';
import { getParser, grammarName } from './parsers';
import { findFunctions } from './functions';
import { prepare, mutate, OPERATORS } from './mutate';
import { Rng } from './rng';
(async () => {
  const [ct, file, nstr] = process.argv.slice(2);
  const g = grammarName(ct!, file)!;
  const p = await getParser(g);
  const text = readFileSync(file!, 'utf8');
  const fns = findFunctions(p, g, text).filter((f) => f.lines >= 4 && f.lines <= 40);
  const counts: Record<string, number> = {};
  let shown = 0;
  for (const f of fns.slice(0, Number(nstr ?? 30))) {
    const prep = prepare(p, g, f.nodeType, text.slice(f.regionStart, f.end), f.start - f.regionStart);
    if (!prep) { counts['noprep'] = (counts['noprep'] ?? 0) + 1; continue; }
    for (const et of Object.keys(OPERATORS)) {
      const m = mutate(p, prep, et, new Rng('x', f.start, et));
      if (!m) continue;
      counts[et] = (counts[et] ?? 0) + 1;
      if (shown < 40 && Math.random() < 0.3) {
        shown++;
        const a = prep.text.split('\n'), b = m.code.split('\n');
        const diff: string[] = [];
        for (let i = 0; i < Math.max(a.length, b.length); i++) if (a[i] !== b[i]) { diff.push('- ' + (a[i] ?? '').trim() + '\n+ ' + (b[i] ?? '').trim()); if (diff.length > 1) break; }
        console.log(`[${et} ${m.op}] ${m.diagnostic ?? ''}\n${diff.join('\n')}`);
      }
    }
  }
  console.log(fns.length, counts);
})();
