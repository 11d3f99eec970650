// toDebugString: Spark's RDD.toDebugString layout for kiln's lineage. Policy: one line
// per dataset, "(partitions) label[id]" (plus its setName name), children below it;
// a narrow parent continues the same column behind " |  " (Spark's prefix), a shuffle
// parent starts a new, indented column with "+-(partitions)", so shuffle boundaries
// (stage boundaries) read as steps to the right, as in Spark's output.
import { dependencies, describe, partitionCount, type LineageNode } from '../plan/lineage.js';

/** Spark's indented lineage of `node`. */
export function debugString(node: LineageNode): string {
  const head = `(${partitionCount(node)})`;
  const left = Math.floor((head.length - 1) / 2);
  const next = ' '.repeat(left) + '|' + ' '.repeat(head.length - left);
  return [`${head} ${self(node)}`, ...children(node, next)].join('\n');
}

function self(node: LineageNode): string {
  const name = (node as { name?: unknown }).name;
  return `${describe(node).label}[${node.id}]${typeof name === 'string' ? ` "${name}"` : ''}`;
}

function children(node: LineageNode, prefix: string): string[] {
  const deps = dependencies(node);
  return deps.flatMap((dep, i) => (dep.kind === 'shuffle' ? shuffleChild(dep.parent, prefix, i === deps.length - 1) : narrowChild(dep.parent, prefix)));
}

function narrowChild(node: LineageNode, prefix: string): string[] {
  return [`${prefix}${self(node)}`, ...children(node, prefix)];
}

function shuffleChild(node: LineageNode, prefix: string, last: boolean): string[] {
  const head = `(${partitionCount(node)})`;
  const left = Math.floor((head.length - 1) / 2);
  const here = prefix.replace(/\|\s+$/, '');
  const next = `${here}${last ? '  ' : '| '}${' '.repeat(left)}|${' '.repeat(head.length - left)}`;
  return [`${here}+-${head} ${self(node)}`, ...children(node, next)];
}
