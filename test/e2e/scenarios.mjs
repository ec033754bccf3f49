// The end-to-end scenarios, in order.
import { T } from './lib/workbench.mjs';

export const scenarios = [
  {
    name: 'loads',
    async run({ wb, cs, workspace }) {
      await wb.open(cs.folderUrl(workspace));
      await wb.openFile('buggy.py');
      await wb.command('Treasure: Show Output');
      await wb.page.locator('.panel').getByText('starting', { exact: false }).first().waitFor({ timeout: T.server });
      await wb.screenshot('extension-loaded');
    },
  },
];
