/** The toolchain layer: tool discovery (tools.ts) and the lint/synthesis checks (lint.ts). */
export * from './tools.ts';
export * from './lint.ts';
