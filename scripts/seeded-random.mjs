// mulberry32: a small seeded generator for the fuzzers, so that a failing run can be replayed.
export function seededRandom(seed) {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    random,
    pick: (list) => list[Math.floor(random() * list.length)],
    chance: (p) => random() < p,
    /** Restarts the sequence from `seed`. */
    reseed: (next) => {
      state = next >>> 0;
    },
  };
}
