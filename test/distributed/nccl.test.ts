// NCCL, where a GPU is visible (scripts/gpu-check.sh on the device machine): a group of one, as
// one GPU allows (NCCL refuses two ranks on one device), trains as fit alone does.
import { describe, expect, it } from 'vitest';
import * as tl from '../../lib/index.js';
import { native } from '../../lib/native.js';
import { relativeDistance, runRanks } from './ranks.js';

describe.runIf(native.ncclAvailable && tl.cuda.isAvailable())('NCCL on this GPU', () => {
  it('a group of one: allReduce on cuda:0, and fit with distributed as fit alone', async () => {
    const env = { DEVICE: 'cuda:0', EXAMPLES: '256', OPTIMIZER: 'adam' };
    const [one] = (await runRanks(0, 'fit', env)).results;
    const [rank] = (await runRanks(1, 'nccl', env)).results;
    expect(rank!.error).toBeUndefined();
    expect(rank!.info).toEqual({ backend: 'nccl', device: 'cuda:0' });
    expect(rank!.sum).toEqual([2, 2, 2]);
    expect(relativeDistance(rank!.weights!, one!.weights!)).toBeLessThan(1e-4);
  });
});
