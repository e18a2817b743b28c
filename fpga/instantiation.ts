/**
 * The Verilog instantiation template of a design: one wire per port, sized
 * as the top declares it, and the instance with every port connected by
 * name, ready to paste into the design around the engine.
 */
import { planHarness, type TopPort } from './io-harness.ts';

export function instantiationPath(top: string): string {
  return `templates/${top}_inst.v`;
}

export function instantiationTemplate(top: string, ports: TopPort[]): string {
  const plan = planHarness(top, ports);
  const width = Math.max(...ports.map((p) => p.name.length));
  const range = (w: number) => (w === 1 ? '' : `[${w - 1}:0] `);
  const rangeWidth = Math.max(...ports.map((p) => range(p.width).length));
  const dir = (p: TopPort) => (p.direction === 'input' ? 'input ' : 'output');
  const L = [
    `// Instantiation template of ${top}, written by sparsegrad fpga. Copy into the design around the engine`,
    `// and connect the wires. ${plan.clock} clocks every port; ${plan.reset ? `${plan.reset} is active low and must be released synchronously to ${plan.clock} (a reset synchronizer).` : 'the design has no reset port.'}`,
    ...ports.map((p) => `wire ${range(p.width).padEnd(rangeWidth)}${p.name.padEnd(width)};  // ${dir(p)} of ${top}`),
    '',
    `${top} u_${top} (`,
    ports.map((p) => `  .${p.name.padEnd(width)} (${p.name.padEnd(width)})`).join(',\n'),
    ');',
    '',
  ];
  return L.join('\n');
}
