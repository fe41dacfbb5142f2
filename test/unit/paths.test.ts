import { describe, it, expect } from 'vitest';
import * as path from 'node:path';
import { climbsOut, isInside, relativeInside } from '../../src/engine/paths';

const root = path.resolve('/ws/project');

describe('the one "is this inside?" helper', () => {
  it.each([
    ['..foo', '..foo'],
    ['..foo/bar.ts', '..foo/bar.ts'],
    ['...', '...'],
    ['a/..b', 'a/..b'],
    ['src/x.ts', 'src/x.ts'],
    ['src/', 'src'],
    ['src//x.ts', 'src/x.ts'],
    ['./src/./x.ts', 'src/x.ts'],
    ['src/../lib', 'lib'],
  ])('keeps %j inside, as %j', (rel, expected) => {
    expect(relativeInside(root, path.join(root, rel))).toBe(expected);
    expect(isInside(root, path.join(root, rel))).toBe(true);
  });

  it.each(['..', '../x', '../project-other/x', '../../etc/passwd', 'src/../../x'])('puts %j outside', (rel) => {
    expect(relativeInside(root, path.resolve(root, rel))).toBeNull();
    expect(isInside(root, path.resolve(root, rel))).toBe(false);
  });

  it('treats the root itself as inside, or not when strict, whatever its trailing separators', () => {
    expect(relativeInside(root, root)).toBe('');
    expect(relativeInside(`${root}/`, `${root}//`)).toBe('');
    expect(isInside(`${root}/`, root)).toBe(true);
    expect(isInside(root, `${root}/`, { strict: true })).toBe(false);
    expect(isInside(`${root}/`, `${root}/..foo`, { strict: true })).toBe(true);
  });

  it('puts a sibling whose name starts with the root\'s outside', () => {
    expect(relativeInside(root, `${root}-2/x`)).toBeNull();
    expect(relativeInside(root, `${root}..x`)).toBeNull();
  });

  it('tells a climb from a name that starts with two dots', () => {
    expect(climbsOut('..')).toBe(true);
    expect(climbsOut('../a')).toBe(true);
    expect(climbsOut('..foo')).toBe(false);
  });
});
