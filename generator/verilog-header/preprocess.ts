/**
 * A small Verilog preprocessor for header parsing: `define / `undef (object-like
 * and function-like macros, nested uses), `ifdef / `ifndef / `elsif / `else /
 * `endif, `include (searched next to the including file, then in includeDirs),
 * and every other directive (`timescale, `default_nettype, `resetall,
 * `celldefine, ...) blanked out.
 *
 * Why blank rather than delete: line numbers must stay those of the user's
 * file, so removed text becomes spaces and every newline is kept. Expanded
 * macros change columns only on the line that uses them; an included file's
 * text is inserted on the line of its `include, comments removed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { VerilogParseError } from './errors.ts';

export interface Macro {
  params?: string[];
  body: string;
}

export interface PreprocessOptions {
  includeDirs?: readonly string[];
}

const CONDITIONALS = new Set(['ifdef', 'ifndef', 'elsif', 'else', 'endif']);
const IGNORED_DIRECTIVES = /^(timescale|default_nettype|resetall|celldefine|endcelldefine|line|pragma|unconnected_drive|nounconnected_drive|begin_keywords|end_keywords|undefineall|protect|endprotect)$/;
const MAX_DEPTH = 32;

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

/** Index just past the string literal starting at i (a quote), or -1 when it is not closed on its line. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  while (j < text.length && text[j] !== '"' && text[j] !== '\n') j += text[j] === '\\' ? 2 : 1;
  return text[j] === '"' ? j + 1 : -1;
}

/** Comments replaced by spaces (strings respected), for text inserted on one line. */
function stripComments(text: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 2;
      out += ' ';
    } else if (text[i] === '"') {
      const end = stringEnd(text, i);
      const stop = end < 0 ? text.length : end;
      out += text.slice(i, stop);
      i = stop;
    } else out += text[i++];
  }
  return out;
}

function macroArgs(text: string, from: number): { args: string[]; stop: number } | undefined {
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== '(') return undefined;
  let depth = 0;
  const args: string[] = [];
  let cur = '';
  for (; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') {
      const end = stringEnd(text, i);
      if (end < 0) return undefined;
      cur += text.slice(i, end);
      i = end - 1;
    } else if (ch === '(' || ch === '[' || ch === '{') {
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
  return undefined;
}

/** Returns the text with directives blanked, includes inserted and macros expanded. */
export function preprocess(text: string, file: string, predefined: Record<string, string> = {}, options: PreprocessOptions = {}): string {
  const macros = new Map<string, Macro>(Object.entries(predefined).map(([k, v]) => [k, { body: v }]));
  return run(text, file, macros, options, 0);
}

function run(text: string, file: string, macros: Map<string, Macro>, options: PreprocessOptions, depth: number): string {
  // Each open conditional: is its current branch active, has any branch been taken, was the enclosing region active.
  const stack: { active: boolean; taken: boolean; outer: boolean; at: number }[] = [];
  const isActive = () => stack.length === 0 || stack[stack.length - 1]!.active;
  const fail = (at: number, what: string): never => {
    const { line, col } = lineCol(text, at);
    throw new VerilogParseError(file, line, col, what);
  };
  const nameAt = (at: number): string | undefined => /^[ \t]+([A-Za-z_][A-Za-z0-9_$]*)/.exec(text.slice(at, at + 300))?.[1];

  /** Expands every macro use in s (a macro body after argument substitution); `at` is where s came from, for errors. */
  const expand = (s: string, at: number, budget: number): string => {
    if (!s.includes('`')) return s;
    if (budget === 0) fail(at, 'macro expansion nests too deeply (a macro that uses itself?)');
    let out = '';
    let i = 0;
    while (i < s.length) {
      const m = s[i] === '`' ? /^`([A-Za-z_][A-Za-z0-9_$]*)/.exec(s.slice(i, i + 300)) : null;
      const macro = m ? macros.get(m[1]!) : undefined;
      if (!m || !macro) {
        if (m && !macros.has(m[1]!)) fail(at, `macro \`${m[1]} is not defined: define it in the file or pass it as a define`);
        out += s[i++];
        continue;
      }
      const { text: body, stop } = call(m[1]!, macro, s, i + m[0].length, at);
      out += expand(body, at, budget - 1);
      i = stop;
    }
    return out;
  };

  /** The body of one macro use with its arguments substituted (all at once, so an argument is never re-substituted). */
  const call = (name: string, macro: Macro, s: string, from: number, at: number): { text: string; stop: number } => {
    if (!macro.params) return { text: macro.body, stop: from };
    const parsed = macroArgs(s, from);
    if (!parsed) return fail(at, `macro \`${name} needs ${macro.params.length} argument(s) in parentheses`);
    const values = new Map(macro.params.map((p, k) => [p, parsed.args[k] ?? '']));
    return { text: macro.body.replace(/[A-Za-z_][A-Za-z0-9_$]*/g, (id) => values.get(id) ?? id), stop: parsed.stop };
  };

  const include = (at: number, end: number): { text: string; stop: number } => {
    const lineEnd = text.indexOf('\n', end);
    const stop = lineEnd < 0 ? text.length : lineEnd;
    const m = /^\s*(?:"([^"]+)"|<([^>]+)>)/.exec(text.slice(end, stop));
    if (!m) fail(at, '`include needs a file name in quotes');
    const name = m![1] ?? m![2]!;
    const dirs = [dirname(file), ...(options.includeDirs ?? [])];
    const found = isAbsolute(name) ? (existsSync(name) ? name : undefined) : dirs.map((d) => join(d, name)).find((p) => existsSync(p));
    if (!found) fail(at, `cannot find include file "${name}" (searched ${dirs.join(', ')}): pass its folder in includeDirs`);
    if (depth >= MAX_DEPTH) fail(at, `includes nest more than ${MAX_DEPTH} deep (a file that includes itself?)`);
    const inner = run(readFileSync(found!, 'utf8'), found!, macros, options, depth + 1);
    return { text: stripComments(inner).replace(/\s+/g, ' ') + blank(text.slice(end + m![0].length, stop)), stop };
  };

  let out = '';
  let i = 0;
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
      const end = stringEnd(text, i);
      if (end < 0) fail(i, 'unterminated string literal: add the closing "');
      out += isActive() ? text.slice(i, end) : blank(text.slice(i, end));
      i = end;
    } else if (c === '`') {
      const m = /^`([A-Za-z_][A-Za-z0-9_$]*)/.exec(text.slice(i, i + 300));
      if (!m) fail(i, 'a backquote must start a directive or macro name (like `define)');
      const name = m![1]!;
      let end = i + m![0].length;
      if (CONDITIONALS.has(name)) {
        let arg = '';
        if (name === 'ifdef' || name === 'ifndef' || name === 'elsif') {
          const a = nameAt(end);
          if (!a) fail(end, `\`${name} needs a macro name`);
          arg = a!;
          end = text.indexOf(arg, end) + arg.length;
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
        const body = stripComments(text.slice(end + d![0].length, stop).replace(/\\\r?\n/g, ' ')).trim();
        macros.set(d![1]!, params ? { params, body } : { body });
        out += blank(text.slice(i, stop));
        i = stop;
      } else if (name === 'undef') {
        const a = nameAt(end);
        const stop = a ? text.indexOf(a, end) + a.length : end;
        if (a) macros.delete(a);
        out += blank(text.slice(i, stop));
        i = stop;
      } else if (name === 'include') {
        const r = include(i, end);
        out += r.text;
        i = r.stop;
      } else if (macros.has(name)) {
        const { text: body, stop } = call(name, macros.get(name)!, text, end, i);
        out += expand(body, i, 64) + '\n'.repeat((text.slice(i, stop).match(/\n/g) ?? []).length);
        i = stop;
      } else if (IGNORED_DIRECTIVES.test(name)) {
        // `timescale 1ns/1ps, `default_nettype none, ...: to the end of the line.
        const stop = text.indexOf('\n', i);
        const s = stop < 0 ? text.length : stop;
        out += blank(text.slice(i, s));
        i = s;
      } else {
        fail(i, `macro \`${name} is not defined: define it in the file or pass it as a define`);
      }
    } else {
      out += isActive() || c === '\n' ? c : ' ';
      i++;
    }
  }
  if (stack.length > 0) fail(stack[stack.length - 1]!.at, 'this `ifdef has no matching `endif');
  return out;
}
