// Parses every Mermaid diagram in notes/ with Mermaid's own parser, as GitHub renders them:
// a diagram that does not parse shows as an error box instead of a picture. Run by
// tests/diagrams/check (which installs mermaid and jsdom into a cache of their own).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { JSDOM } from 'jsdom';

// Mermaid wants a DOM even to parse (its sanitizer); jsdom lends it one.
const dom = new JSDOM('<!DOCTYPE html><body></body>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ['DOMParser', 'Element', 'HTMLElement', 'Node']) globalThis[name] = dom.window[name];
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false });

const notes = process.argv[2];
let parsed = 0;
const failed = [];
for (const file of readdirSync(notes).filter((f) => f.endsWith('.md')).sort()) {
  const lines = readFileSync(join(notes, file), 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() !== '```mermaid') continue;
    const start = i + 1;
    const body = [];
    for (i++; i < lines.length && !lines[i].startsWith('```'); i++) body.push(lines[i]);
    try {
      await mermaid.parse(body.join('\n'));
      parsed++;
    } catch (error) {
      const why = String(error.message ?? error).split('\n').slice(0, 4).join('\n    ');
      failed.push(`notes/${file}:${start}: this diagram does not parse:\n    ${why}`);
    }
  }
}
for (const failure of failed) console.log(failure);
console.log(`diagrams: ${parsed} parse, ${failed.length} do not`);
process.exit(failed.length === 0 ? 0 : 1);
