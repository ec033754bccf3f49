import { buildTasks } from './index';
(async () => {
  const r = await buildTasks({ corpusDir: process.argv[2]!, outDir: process.argv[3]!, small: process.argv[4] === 'small', cardDir: process.argv[5] ?? '/tmp' });
  console.log(JSON.stringify(r.written), r.seconds);
})().catch((e) => { console.error(e); process.exit(1); });
