import { describe, expect, it } from 'vitest';
import { lanesFor, moveInLanes } from './gridLanes';

describe('lanesFor', () => {
  it('fits as many minimum-width lanes as the gaps allow', () => {
    expect(lanesFor(1000, 192, 12)).toBe(4); // 4*192 + 3*12 = 804; 5 would need 1008
    expect(lanesFor(1008, 192, 12)).toBe(5);
    expect(lanesFor(100, 192, 12)).toBe(1);
    expect(lanesFor(0, 192, 12)).toBe(1);
    expect(lanesFor(Number.NaN, 192, 12)).toBe(1);
  });
});

describe('moveInLanes', () => {
  const roundRobin = (lanes: number) => (index: number) => index % lanes;

  it('moves like a grid when the lanes are filled in turn', () => {
    expect(moveInLanes(5, 'right', 10, roundRobin(4))).toBe(6);
    expect(moveInLanes(5, 'left', 10, roundRobin(4))).toBe(4);
    expect(moveInLanes(5, 'down', 10, roundRobin(4))).toBe(9);
    expect(moveInLanes(5, 'up', 10, roundRobin(4))).toBe(1);
  });

  it('stays put at the edges', () => {
    expect(moveInLanes(7, 'down', 10, roundRobin(4))).toBe(7); // nothing below in lane 3
    expect(moveInLanes(1, 'up', 10, roundRobin(4))).toBe(1);
    expect(moveInLanes(0, 'left', 10, roundRobin(4))).toBe(0);
    expect(moveInLanes(9, 'right', 10, roundRobin(4))).toBe(9);
  });

  it('follows the lane an item was actually put in', () => {
    // Items 4.. went to whichever lane was shortest: 4 → lane 2, 5 → lane 0, 6 → lane 2.
    const lanes = [0, 1, 2, 0, 2, 0, 2];
    const laneOf = (index: number) => lanes[index]!;
    expect(moveInLanes(2, 'down', lanes.length, laneOf)).toBe(4);
    expect(moveInLanes(4, 'down', lanes.length, laneOf)).toBe(6);
    expect(moveInLanes(6, 'up', lanes.length, laneOf)).toBe(4);
    expect(moveInLanes(1, 'down', lanes.length, laneOf)).toBe(1);
  });

  it('is a plain list with one lane', () => {
    expect(moveInLanes(3, 'down', 5, () => 0)).toBe(4);
    expect(moveInLanes(3, 'up', 5, () => 0)).toBe(2);
    expect(moveInLanes(4, 'down', 5, () => 0)).toBe(4);
  });

  it('has nowhere to go without items', () => {
    expect(moveInLanes(0, 'right', 0, () => 0)).toBe(-1);
  });
});
