// The length marker of "Generate Code…" (extension/lengths.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EXACT_LINES_LABEL, checkLineCount, countLines, insertionText, lengthChoices, lineCountMarkers } from '../../extension/lengths';

test('one choice per length_bucket value with its bounds, then an exact line count', () => {
  const choices = lengthChoices();
  assert.deepEqual(
    choices.map((c) => [c.label, c.description, c.markers]),
    [
      ['concise', 'up to 10 lines', { length_bucket: 'concise' }],
      ['medium', '11–30 lines', { length_bucket: 'medium' }],
      ['long', 'more than 30 lines', { length_bucket: 'long' }],
      [EXACT_LINES_LABEL, 'length_lines', undefined],
    ],
  );
});

test('an exact line count must be a whole number within length_lines bounds', () => {
  assert.equal(checkLineCount('12'), undefined);
  assert.equal(checkLineCount(' 3 '), undefined);
  assert.match(checkLineCount('0')!, /From 1 to 2000/);
  assert.match(checkLineCount('2001')!, /From 1 to 2000/);
  assert.match(checkLineCount('five')!, /whole number/);
  assert.match(checkLineCount('2.5')!, /whole number/);
  assert.deepEqual(lineCountMarkers(' 07 '), { length_lines: '7' });
});

test('generated code goes on its own lines at the cursor', () => {
  // Cursor on an empty line.
  assert.equal(insertionText('x = 1\ny = 2\n\n', '', 0), 'x = 1\ny = 2');
  // Cursor at the end of a comment line: start a new line.
  assert.equal(insertionText('return 1', '# one', 5), '\nreturn 1');
  // Cursor before existing text: the text moves below.
  assert.equal(insertionText('a()', 'b()', 0), 'a()\n');
  // CRLF from the server is normalized.
  assert.equal(insertionText('a\r\nb', '', 0), 'a\nb');
  assert.equal(countLines('a\nb\nc\n\n'), 3);
});
