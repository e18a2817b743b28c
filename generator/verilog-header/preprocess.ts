/**
 * A small Verilog preprocessor for header parsing: `define / `undef (object-like
 * and function-like macros), `ifdef / `ifndef / `elsif / `else / `endif, and every
 * other directive (`timescale, `default_nettype, `resetall, `celldefine,
 * `include, ...) blanked out.
 *
 * Why blank rather than delete: line numbers must stay those of the user's
 * file, so removed text becomes spaces and every newline is kept. Expanded
 * macros change columns only on the line that uses them.
 */
import { VerilogParseError } from './errors.ts';

export interface Macro {
  params?: string[];
  body: string;
}

const CONDITIONALS = new Set(['ifdef', 'ifndef', 'elsif', 'else', 'endif']);

function blank(s: string): string {
  return s.replace(/[^\n]/g, ' ');
}

/** Where a `define's body ends: at a newline not escaped by a backslash, outside comments. */
function defineEnd(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\' && text[i + 1] === '\n') i += 2;
    else if (c === '\\' && text[i + 1] === '\r' && text[i + 2] === '\n') i += 3;
    else if (c === '\n') return i;
    else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      return i;
    } else i++;
  }
  return i;
}

function lineCol(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) (line++, (last = i));
  return { line, col: offset - last };
}

/**
 * Returns the text with directives blanked and macros expanded. Comments and
 * strings are skipped over so that a backquote inside them is left alone.
 */
export function preprocess(text: string, file: string, predefined: Record<string, string> = {}): string {
  const macros = new Map<string, Macro>(Object.entries(predefined).map(([k, v]) => [k, { body: v }]));
  // Each open conditional: is its current branch active, has any branch been taken, was the enclosing region active.
  const stack: { active: boolean; taken: boolean; outer: boolean; at: number }[] = [];
  const isActive = () => stack.length === 0 || stack[stack.length - 1]!.active;
  let out = '';
  let i = 0;
  const fail = (at: number, what: string): never => {
    const { line, col } = lineCol(text, at);
    throw new VerilogParseError(file, line, col, what);
  };
  while (i < text.length) {
    const c = text[i]!;
    if (c === '/' && text[i + 1] === '/') {
      const end = text.indexOf('\n', i);
      const stop = end < 0 ? text.length : end;
      out += isActive() ? text.slice(i, stop) : blank(text.slice(i, stop));
      i = stop;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) fail(i, 'unterminated block comment: add the closing */');
      out += isActive() ? text.slice(i, end + 2) : blank(text.slice(i, end + 2));
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
      if (text[j] !== '"') fail(i, 'unterminated string literal: add the closing "');
      out += isActive() ? text.slice(i, j + 1) : blank(text.slice(i, j + 1));
      i = j + 1;
    } else if (c === '`') {
      const m = /^`([A-Za-z_][A-Za-z0-9_$]*)/.exec(text.slice(i, i + 200));
      if (!m) fail(i, "a backquote must start a directive or macro name (like `define)");
      const name = m![1]!;
      let end = i + m![0].length;
      if (CONDITIONALS.has(name)) {
        let arg = '';
        if (name === 'ifdef' || name === 'ifndef' || name === 'elsif') {
          const a = /^[ \t]+([A-Za-z_][A-Za-z0-9_$]*)/.exec(text.slice(end, end + 200));
          if (!a) fail(end, `\`${name} needs a macro name`);
          arg = a![1]!;
          end += a![0].length;
        }
        const top = stack[stack.length - 1];
        if (name === 'ifdef' || name === 'ifndef') {
          const outer = isActive();
          const cond = macros.has(arg) === (name === 'ifdef');
          stack.push({ active: outer && cond, taken: cond, outer, at: i });
        } else if (!top) {
          fail(i, `\`${name} without a matching \`ifdef`);
        } else if (name === 'elsif') {
          const cond = !top.taken && macros.has(arg);
          top.active = top.outer && cond;
          top.taken ||= cond;
        } else if (name === 'else') {
          top.active = top.outer && !top.taken;
          top.taken = true;
        } else stack.pop();
        out += blank(text.slice(i, end));
        i = end;
      } else if (!isActive()) {
        out += blank(text.slice(i, end));
        i = end;
      } else if (name === 'define') {
        const stop = defineEnd(text, end);
        const d = /^[ \t]+([A-Za-z_][A-Za-z0-9_$]*)(\([^)]*\))?/.exec(text.slice(end, stop));
        if (!d) fail(end, '`define needs a macro name');
        const params = d![2] ? d![2].slice(1, -1).split(',').map((p) => p.trim().replace(/=.*$/, '').trim()) : undefined;
        const body = text.slice(end + d![0].length, stop).replace(/\\\r?\n/g, ' ').trim();
        macros.set(d![1]!, params ? { params, body } : { body });
        out += blank(text.slice(i, stop));
        i = stop;
      } else if (name === 'undef') {
        const a = /^[ \t]+([A-Za-z_][A-Za-z0-9_$]*)/.exec(text.slice(end, end + 200));
        if (a) macros.delete(a[1]!);
        const stop = end + (a ? a[0].length : 0);
        out += blank(text.slice(i, stop));
        i = stop;
      } else if (macros.has(name)) {
        const macro = macros.get(name)!;
        let body = macro.body;
        if (macro.params) {
          const { args, stop } = macroArgs(text, end, () => fail(end, `macro \`${name} needs ${macro.params!.length} argument(s) in parentheses`));
          macro.params.forEach((p, k) => {
            body = body.replace(new RegExp(`\\b${p}\\b`, 'g'), args[k] ?? '');
          });
          end = stop;
        }
        // Macros may use other macros; expand the result once more (bounded, to stop runaway recursion).
        out += expandNested(body, macros, 16) + '\n'.repeat((text.slice(i, end).match(/\n/g) ?? []).length);
        i = end;
      } else {
        // Any other directive (`timescale 1ns/1ps, `default_nettype none, `include "x.vh", ...) runs to end of line.
        const stop = text.indexOf('\n', i);
        const s = stop < 0 ? text.length : stop;
        if (!/^(timescale|default_nettype|resetall|celldefine|endcelldefine|include|line|pragma|unconnected_drive|nounconnected_drive|begin_keywords|end_keywords|undefineall|__FILE__|__LINE__)$/.test(name)) {
          fail(i, `macro \`${name} is not defined: define it in the file or pass it as a define`);
        }
        out += blank(text.slice(i, s));
        i = s;
      }
    } else {
      out += isActive() || c === '\n' ? c : ' ';
      i++;
    }
  }
  if (stack.length > 0) fail(stack[stack.length - 1]!.at, 'this `ifdef has no matching `endif');
  return out;
}

function macroArgs(text: string, from: number, onMissing: () => never): { args: string[]; stop: number } {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== '(') onMissing();
  let depth = 0;
  const args: string[] = [];
  let cur = '';
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '(' || ch === '[' || ch === '{') {
      if (depth++ > 0) cur += ch;
    } else if (ch === ')' || ch === ']' || ch === '}') {
      if (--depth === 0) {
        args.push(cur.trim());
        return { args, stop: i + 1 };
      }
      cur += ch;
    } else if (ch === ',' && depth === 1) {
      args.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  return onMissing();
}

function expandNested(body: string, macros: Map<string, Macro>, budget: number): string {
  if (budget === 0 || !body.includes('`')) return body;
  return expandNested(
    body.replace(/`([A-Za-z_][A-Za-z0-9_$]*)/g, (whole, n: string) => {
      const m = macros.get(n);
      return m && !m.params ? m.body : whole;
    }),
    macros,
    budget - 1,
  );
}
