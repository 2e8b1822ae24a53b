"""Offline comparison of sketch families for Jaccard estimation (issue 17, step 4).

Classic MinHash as neardup computed it before issue 17 (k multiply-shift permutations of 64-bit
shingle hashes, 32-bit minima), the xor-multiply family that replaced it, one-permutation hashing with optimal densification (Shrivastava,
ICML 2017) and SuperMinHash (Ertl, 2017). For each set size n and Jaccard J, pairs of sets of
n random 64-bit "shingle hashes" sharing I = round(2nJ/(1+J)) elements are sketched with
k = 128 and the estimate (share of equal positions) compared with the true I/(2n-I).
Prints bias, standard deviation and mean squared error per (n, J, family); with --cost, the
work per set of each family.

    python3 benches/python/sketch_family.py 200      # 200 pairs per cell (numpy needed)
    python3 benches/python/sketch_family.py 1000 classic,xor-multiply   # chosen families
    python3 benches/python/sketch_family.py --cost
"""
import sys
import numpy as np

M64 = (1 << 64) - 1
K = 128


def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


def family(seed=0, k=K):
    s, a, b = seed, [], []
    for _ in range(k):
        s, x = splitmix(s)
        a.append(x | 1)
        s, x = splitmix(s)
        b.append(x)
    return np.array(a, dtype=np.uint64), np.array(b, dtype=np.uint64)


A, B = family()


def classic(xs):
    with np.errstate(over="ignore"):
        h = (xs[:, None] * A[None, :] + B[None, :]) >> np.uint64(32)
    return h.min(axis=0)


# neardup's default family since issue 17: ((x_lo ^ x_hi ^ c_i) * a_i) mod 2^32, constants from
# one SplitMix64 draw per permutation (c = low half, a = high half | 1), as src/minhash.rs.
def _xor_multiply_constants(seed=0, k=K):
    s, c, a = seed, [], []
    for _ in range(k):
        s, x = splitmix(s)
        c.append(x & 0xFFFFFFFF)
        a.append((x >> 32) | 1)
    return np.array(c, dtype=np.uint64), np.array(a, dtype=np.uint64)


XM_C, XM_A = _xor_multiply_constants()
M32 = np.uint64(0xFFFFFFFF)


def xor_multiply(xs):
    folded = (xs & M32) ^ (xs >> np.uint64(32))
    with np.errstate(over="ignore"):
        h = ((folded[:, None] ^ XM_C[None, :]) * XM_A[None, :]) & M32
    return h.min(axis=0)


def oph_densified(xs, k=K):
    bins = (xs >> np.uint64(57)).astype(np.int64)  # top 7 bits: bin (k = 128)
    vals = xs & np.uint64((1 << 57) - 1)
    sig = np.full(k, np.iinfo(np.uint64).max, dtype=np.uint64)
    np.minimum.at(sig, bins, vals)
    empty = sig == np.iinfo(np.uint64).max
    if empty.all():
        return sig
    out = sig.copy()
    for i in np.nonzero(empty)[0]:
        attempt = 1
        while True:  # the probe sequence depends only on (bin, attempt): both sets agree
            _, r = splitmix((int(i) << 32) | attempt)
            j = r % k
            if not empty[j]:
                out[i] = sig[j]
                break
            attempt += 1
    return out


def superminhash(xs, m=K):
    h = [float("inf")] * m
    p = list(range(m))
    q = [-1] * m
    b = [0] * m
    b[m - 1] = m
    a = m - 1
    for i, d in enumerate(xs.tolist()):
        state = d
        j = 0
        while j <= a:
            state, r1 = splitmix(state)
            state, r2 = splitmix(state)
            r = (r1 >> 11) / float(1 << 53)
            kk = j + r2 % (m - j)
            if q[j] != i:
                q[j] = i
                p[j] = j
            if q[kk] != i:
                q[kk] = i
                p[kk] = kk
            p[j], p[kk] = p[kk], p[j]
            if r + j < h[p[j]]:
                old = min(int(h[p[j]]), m - 1) if h[p[j]] != float("inf") else m - 1
                b[old] -= 1
                h[p[j]] = r + j
                b[j] += 1
                while b[a] == 0:
                    a -= 1
            j += 1
    return np.array(h)


def main(trials, names):
    rng = np.random.default_rng(1)
    funcs = {"classic": classic, "xor-multiply": xor_multiply, "oph-dens": oph_densified,
             "superminhash": superminhash}
    families = [(name, funcs[name]) for name in names]
    print("n J_true family bias std mse")
    for n in (10, 20, 50, 100, 200):
        for j in (0.5, 0.7, 0.8, 0.9):
            inter = round(2 * n * j / (1 + j))
            truth = inter / (2 * n - inter)
            est = {name: [] for name, _ in families}
            for _ in range(trials):
                u = rng.integers(0, 2**63, size=2 * n - inter, dtype=np.uint64) * np.uint64(2) + rng.integers(0, 2, size=2 * n - inter, dtype=np.uint64)
                sa, sb = u[:n], u[n - inter:]
                for name, f in families:
                    est[name].append(np.mean(f(sa) == f(sb)))
            for name, e in est.items():
                e = np.array(e)
                print(f"{n} {truth:.4f} {name} {e.mean() - truth:+.4f} {e.std():.4f} {((e - truth) ** 2).mean():.6f}", flush=True)


# Work per set: SuperMinHash's inner steps (each two random draws and a swap), and one-
# permutation hashing's densification probes (each one hash), against classic's n * k.
def cost(xs, m=128):
    h=[float("inf")]*m; p=list(range(m)); q=[-1]*m; b=[0]*m; b[m-1]=m; a=m-1; steps=0
    for i,d in enumerate(xs.tolist()):
        state=d; j=0
        while j<=a:
            steps+=1
            state,r1=splitmix(state); state,r2=splitmix(state)
            r=(r1>>11)/float(1<<53); kk=j+r2%(m-j)
            if q[j]!=i: q[j]=i; p[j]=j
            if q[kk]!=i: q[kk]=i; p[kk]=kk
            p[j],p[kk]=p[kk],p[j]
            if r+j<h[p[j]]:
                old=min(int(h[p[j]]),m-1) if h[p[j]]!=float("inf") else m-1
                b[old]-=1; h[p[j]]=r+j; b[j]+=1
                while b[a]==0: a-=1
            j+=1
    return steps
def oph_probes(xs,k=128):
    bins=set((xs>>np.uint64(57)).astype(np.int64).tolist()); empty=[i for i in range(k) if i not in bins]; probes=0
    for i in empty:
        att=1
        while True:
            probes+=1; _,r=splitmix((i<<32)|att)
            if r%k in bins: break
            att+=1
    return probes

def main_cost():
    rng = np.random.default_rng(2)
    for n in (10, 20, 50, 80, 200):
        s = [cost(rng.integers(0, 2**63, size=n, dtype=np.uint64)) for _ in range(20)]
        o = [oph_probes(rng.integers(0, 2**63, size=n, dtype=np.uint64)) for _ in range(20)]
        print(n, "classic", n * 128, "superminhash_steps", round(np.mean(s)),
              "oph", n, "+ densification probes", round(np.mean(o)))


if __name__ == "__main__":
    if sys.argv[1:] == ["--cost"]:
        main_cost()
    else:
        # sketch_family.py [TRIALS [FAMILY,FAMILY...]]
        names = sys.argv[2].split(",") if len(sys.argv) > 2 else ["classic", "xor-multiply", "oph-dens", "superminhash"]
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 200, names)
