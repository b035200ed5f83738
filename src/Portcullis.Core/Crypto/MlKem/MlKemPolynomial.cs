using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.MlKem;

/// <summary>
/// Arithmetic in R_q = Z_q[X]/(X^256 + 1) and T_q (the NTT domain), sampling, encoding and
/// compression, written from FIPS 203 §2.4, §4.2 and §4.3.
/// </summary>
/// <remarks>
/// A polynomial is a span of 256 <see cref="short"/> coefficients, always kept in the canonical
/// range [0, q). All reductions are branch-free (Barrett reduction, Shoup multiplication by the
/// public ζ constants, masked corrections), and
/// no table is ever indexed by secret data: the only table look-ups (ζ powers) are indexed by loop
/// counters. The only data-dependent branches are in <see cref="SampleNtt"/> (rejection sampling of
/// the public matrix Â from the public seed ρ) and in the modulus check of the public ek.
/// </remarks>
internal static class MlKemPolynomial
{
    /// <summary>n, the degree bound of the ring.</summary>
    public const int N = 256;

    /// <summary>q = 3329 = 2^8·13 + 1, the prime modulus.</summary>
    public const int Q = 3329;

    /// <summary>The size in bytes of one ByteEncode12-encoded polynomial.</summary>
    public const int EncodedPolySize = 384;

    // ⌊2^32 / q⌋, the Barrett constant: for 0 ≤ a < 2^31, a - ⌊a·BarrettM / 2^32⌋·q lies in [0, 2q).
    private const ulong BarrettM = 1290167;

    // 128^-1 mod q = 3303, the final scaling of NTT^-1 (FIPS 203 Alg. 10).
    private const int InverseOf128 = 3303;

    // ζ = 17 is a primitive 256th root of unity modulo q (FIPS 203 §4.3).
    private const int Zeta = 17;

    // Zetas[i] = ζ^BitRev7(i) mod q, i = 0..127 (used by NTT and NTT^-1, FIPS 203 Alg. 9/10).
    private static readonly short[] Zetas = BuildZetas(gammas: false);

    // Gammas[i] = ζ^(2·BitRev7(i)+1) mod q, i = 0..127 (used by BaseCaseMultiply via Alg. 11).
    private static readonly short[] Gammas = BuildZetas(gammas: true);

    // ZetasShoup[i] = ⌊Zetas[i]·2^16 / q⌋, the precomputed quotients for MultiplyShoup.
    private static readonly int[] ZetasShoup = Array.ConvertAll(Zetas, z => ShoupConstant(z));

    private static readonly int InverseOf128Shoup = ShoupConstant(InverseOf128);

    private static int ShoupConstant(int w) => (w << 16) / Q;

    private static short[] BuildZetas(bool gammas)
    {
        var table = new short[128];
        for (int i = 0; i < 128; i++)
        {
            int bitRev = 0;
            for (int b = 0; b < 7; b++)
            {
                bitRev |= ((i >> b) & 1) << (6 - b);
            }

            int exponent = gammas ? 2 * bitRev + 1 : bitRev;
            int value = 1;
            for (int e = 0; e < exponent; e++)
            {
                value = value * Zeta % Q;
            }

            table[i] = (short)value;
        }

        return table;
    }

    // ---------------------------------------------------------------------------------------
    // Field arithmetic in Z_q, constant time.
    // ---------------------------------------------------------------------------------------

    /// <summary>Returns a mod q for 0 ≤ a &lt; 2^31 (Barrett reduction, branch-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Reduce(int a)
    {
        int t = (int)(((ulong)(uint)a * BarrettM) >> 32);
        int r = a - t * Q;   // in [0, 2q)
        return ConditionalSubtractQ(r);
    }

    /// <summary>Returns a - q if a ≥ q, else a, for 0 ≤ a &lt; 2q (branch-free).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int ConditionalSubtractQ(int a)
    {
        a -= Q;
        return a + ((a >> 31) & Q);
    }

    /// <summary>(a + b) mod q for a, b in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int AddModQ(int a, int b) => ConditionalSubtractQ(a + b);

    /// <summary>(a - b) mod q for a, b in [0, q).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SubModQ(int a, int b)
    {
        int r = a - b;
        return r + ((r >> 31) & Q);
    }

    /// <summary>
    /// a·w mod q for a in [0, q) and a public constant w in [0, q) with wShoup = ⌊w·2^16 / q⌋
    /// (Shoup's method): since a &lt; 2^16 the estimate ⌊a·wShoup / 2^16⌋ of ⌊a·w / q⌋ is off by at most
    /// one, so a·w − estimate·q lies in [0, 2q) and one masked subtraction finishes. All products stay
    /// below 2^31. Branch-free.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int MultiplyShoup(int a, int w, int wShoup)
    {
        int estimate = (a * wShoup) >> 16;
        return ConditionalSubtractQ(a * w - estimate * Q);
    }

    // Lane-wise versions of the helpers above, for the NTT layers with len ≥ 8 (8 coefficients at a
    // time, widened to 32-bit lanes). Same arithmetic, same absence of branches.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> ConditionalSubtractQ(Vector128<int> a)
    {
        var q = Vector128.Create(Q);
        a -= q;
        return a + (Vector128.ShiftRightArithmetic(a, 31) & q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> AddModQ(Vector128<int> a, Vector128<int> b) => ConditionalSubtractQ(a + b);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> SubModQ(Vector128<int> a, Vector128<int> b)
    {
        Vector128<int> r = a - b;
        return r + (Vector128.ShiftRightArithmetic(r, 31) & Vector128.Create(Q));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<int> MultiplyShoup(Vector128<int> a, Vector128<int> w, Vector128<int> wShoup)
    {
        Vector128<int> estimate = Vector128.ShiftRightArithmetic(a * wShoup, 16);
        return ConditionalSubtractQ(a * w - estimate * Vector128.Create(Q));
    }

    /// <summary>⌊a / q⌋ for 0 ≤ a &lt; 2^31, without a (variable-time) division instruction.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int DivideByQ(int a)
    {
        int t = (int)(((ulong)(uint)a * BarrettM) >> 32);
        int r = a - t * Q;   // in [0, 2q)
        return t + (int)((uint)(Q - 1 - r) >> 31);
    }

    // ---------------------------------------------------------------------------------------
    // NTT (FIPS 203 §4.3).
    // ---------------------------------------------------------------------------------------

    /// <summary>NTT(f), in place (FIPS 203 Alg. 9): R_q → T_q.</summary>
    public static unsafe void Ntt(Span<short> f)
    {
        f = f[..N];
        fixed (short* a = f)
        fixed (short* zetas = Zetas)
        fixed (int* zetasShoup = ZetasShoup)
        {
            int i = 1;
            for (int len = 128; len >= 2; len >>= 1)
            {
                for (int start = 0; start < N; start += 2 * len)
                {
                    int zeta = zetas[i];
                    int zetaShoup = zetasShoup[i];
                    i++;
                    int j = start;
                    if (len >= 8 && Vector128.IsHardwareAccelerated)
                    {
                        var w = Vector128.Create(zeta);
                        var wShoup = Vector128.Create(zetaShoup);
                        for (; j < start + len; j += 8)
                        {
                            (Vector128<int> aLo, Vector128<int> aHi) = Vector128.Widen(Vector128.Load(a + j));
                            (Vector128<int> bLo, Vector128<int> bHi) = Vector128.Widen(Vector128.Load(a + j + len));
                            Vector128<int> tLo = MultiplyShoup(bLo, w, wShoup);
                            Vector128<int> tHi = MultiplyShoup(bHi, w, wShoup);
                            Vector128.Narrow(SubModQ(aLo, tLo), SubModQ(aHi, tHi)).Store(a + j + len);
                            Vector128.Narrow(AddModQ(aLo, tLo), AddModQ(aHi, tHi)).Store(a + j);
                        }
                    }

                    for (; j < start + len; j++)
                    {
                        int t = MultiplyShoup(a[j + len], zeta, zetaShoup);
                        int aj = a[j];
                        a[j + len] = (short)SubModQ(aj, t);
                        a[j] = (short)AddModQ(aj, t);
                    }
                }
            }
        }
    }

    /// <summary>NTT^-1(f̂), in place (FIPS 203 Alg. 10): T_q → R_q.</summary>
    public static unsafe void InverseNtt(Span<short> f)
    {
        f = f[..N];
        fixed (short* a = f)
        fixed (short* zetas = Zetas)
        fixed (int* zetasShoup = ZetasShoup)
        {
            int i = 127;
            for (int len = 2; len <= 128; len <<= 1)
            {
                for (int start = 0; start < N; start += 2 * len)
                {
                    int zeta = zetas[i];
                    int zetaShoup = zetasShoup[i];
                    i--;
                    int j = start;
                    if (len >= 8 && Vector128.IsHardwareAccelerated)
                    {
                        var w = Vector128.Create(zeta);
                        var wShoup = Vector128.Create(zetaShoup);
                        for (; j < start + len; j += 8)
                        {
                            (Vector128<int> tLo, Vector128<int> tHi) = Vector128.Widen(Vector128.Load(a + j));
                            (Vector128<int> uLo, Vector128<int> uHi) = Vector128.Widen(Vector128.Load(a + j + len));
                            Vector128.Narrow(AddModQ(tLo, uLo), AddModQ(tHi, uHi)).Store(a + j);
                            Vector128.Narrow(
                                MultiplyShoup(SubModQ(uLo, tLo), w, wShoup),
                                MultiplyShoup(SubModQ(uHi, tHi), w, wShoup)).Store(a + j + len);
                        }
                    }

                    for (; j < start + len; j++)
                    {
                        int t = a[j];
                        int u = a[j + len];
                        a[j] = (short)AddModQ(t, u);
                        a[j + len] = (short)MultiplyShoup(SubModQ(u, t), zeta, zetaShoup);
                    }
                }
            }

            int k = 0;
            if (Vector128.IsHardwareAccelerated)
            {
                var w = Vector128.Create(InverseOf128);
                var wShoup = Vector128.Create(InverseOf128Shoup);
                for (; k < N; k += 8)
                {
                    (Vector128<int> lo, Vector128<int> hi) = Vector128.Widen(Vector128.Load(a + k));
                    Vector128.Narrow(MultiplyShoup(lo, w, wShoup), MultiplyShoup(hi, w, wShoup)).Store(a + k);
                }
            }

            for (; k < N; k++)
            {
                a[k] = (short)MultiplyShoup(a[k], InverseOf128, InverseOf128Shoup);
            }
        }
    }

    /// <summary>
    /// ĥ ← ĥ + f̂ ×_T ĝ: MultiplyNTTs (FIPS 203 Alg. 11), each pair of coefficients computed with
    /// BaseCaseMultiply (Alg. 12), accumulated into <paramref name="h"/>.
    /// </summary>
    public static void MultiplyNttsAccumulate(ReadOnlySpan<short> f, ReadOnlySpan<short> g, Span<short> h)
    {
        f = f[..N];
        g = g[..N];
        h = h[..N];
        for (int i = 0; i < 128; i++)
        {
            int a0 = f[2 * i], a1 = f[2 * i + 1];
            int b0 = g[2 * i], b1 = g[2 * i + 1];
            int gamma = Gammas[i];

            // BaseCaseMultiply(a0, a1, b0, b1, γ) (Alg. 12):
            //   c0 = a0·b0 + a1·b1·γ,  c1 = a0·b1 + a1·b0.
            int c0 = Reduce(a0 * b0 + Reduce(a1 * b1) * gamma);
            int c1 = Reduce(a0 * b1 + a1 * b0);

            h[2 * i] = (short)AddModQ(h[2 * i], c0);
            h[2 * i + 1] = (short)AddModQ(h[2 * i + 1], c1);
        }
    }

    /// <summary>f ← f + g, coefficient-wise modulo q.</summary>
    public static void Add(Span<short> f, ReadOnlySpan<short> g)
    {
        f = f[..N];
        g = g[..N];
        for (int i = 0; i < N; i++)
        {
            f[i] = (short)AddModQ(f[i], g[i]);
        }
    }

    /// <summary>f ← g - f, coefficient-wise modulo q (the order suits K-PKE.Decrypt line 6).</summary>
    public static void SubtractFrom(Span<short> f, ReadOnlySpan<short> g)
    {
        f = f[..N];
        g = g[..N];
        for (int i = 0; i < N; i++)
        {
            f[i] = (short)SubModQ(g[i], f[i]);
        }
    }

    // ---------------------------------------------------------------------------------------
    // Sampling (FIPS 203 §4.2.2).
    // ---------------------------------------------------------------------------------------

    /// <summary>
    /// SampleNTT(ρ‖j‖i) (FIPS 203 Alg. 7): rejection-samples a uniform element of T_q from
    /// XOF = SHAKE128. <paramref name="first"/> and <paramref name="second"/> are the two index
    /// bytes appended to ρ, in that order.
    /// </summary>
    /// <remarks>
    /// The input is public (ρ is part of ek), so the data-dependent loop is not a leak. .NET's
    /// SHAKE128 cannot be read incrementally on OpenSSL 3.0, so the XOF output is squeezed in one
    /// go: 3 blocks of 168 bytes (336 candidates) suffice in about 99.2% of calls; otherwise 8 blocks
    /// (448 candidates, enough except with probability about 2^-105) are squeezed, and beyond that
    /// the output length keeps doubling. SHAKE output is prefix-consistent, so sampling simply
    /// continues where it stopped and the result is exactly Alg. 7's for any number of rejections.
    /// </remarks>
    public static void SampleNtt(ReadOnlySpan<byte> rho, byte first, byte second, Span<short> a)
    {
        const int InitialXofBytes = 3 * 168;    // multiples of 3 and of the SHAKE128 rate
        const int FallbackXofBytes = 8 * 168;
        a = a[..N];

        Span<byte> seed = stackalloc byte[34];
        rho[..32].CopyTo(seed);
        seed[32] = first;
        seed[33] = second;

        Span<byte> buffer = stackalloc byte[FallbackXofBytes];
        Span<byte> stream = buffer[..InitialXofBytes];
        Shake128.HashData(seed, stream);

        int j = 0;
        int position = 0;
        while (j < N)
        {
            if (position + 3 > stream.Length)
            {
                // Rare: read further into the XOF (its first bytes are the ones already used).
                stream = stream.Length < FallbackXofBytes ? buffer : new byte[stream.Length * 2];
                Shake128.HashData(seed, stream);
            }

            int c0 = stream[position];
            int c1 = stream[position + 1];
            int c2 = stream[position + 2];
            position += 3;

            int d1 = c0 + 256 * (c1 & 0x0F);
            int d2 = (c1 >> 4) + 16 * c2;
            if (d1 < Q)
            {
                a[j++] = (short)d1;
            }

            if (d2 < Q && j < N)
            {
                a[j++] = (short)d2;
            }
        }
    }

    /// <summary>
    /// PRF_η(s, b) = SHAKE256(s‖b, 64·η) (FIPS 203 eq. 4.3) followed by SamplePolyCBD_η
    /// (FIPS 203 Alg. 8), writing f ∈ R_q with coefficients in [-η, η] mod q.
    /// </summary>
    public static void SamplePolyCbdFromPrf(int eta, ReadOnlySpan<byte> s, byte b, Span<short> f)
    {
        Span<byte> input = stackalloc byte[33];
        s[..32].CopyTo(input);
        input[32] = b;

        Span<byte> bytes = stackalloc byte[64 * 3];
        bytes = bytes[..(64 * eta)];
        Shake256.HashData(input, bytes);

        SamplePolyCbd(eta, bytes, f);

        CryptographicOperations.ZeroMemory(input);
        CryptographicOperations.ZeroMemory(bytes);
    }

    /// <summary>
    /// SamplePolyCBD_η(B) (FIPS 203 Alg. 8) for η ∈ {2, 3}: coefficient i is
    /// Σ_{j&lt;η} b[2iη+j] − Σ_{j&lt;η} b[2iη+η+j] mod q, computed with bit-slicing and no branches.
    /// </summary>
    public static void SamplePolyCbd(int eta, ReadOnlySpan<byte> bytes, Span<short> f)
    {
        f = f[..N];
        if (eta == 2)
        {
            // Each byte holds two coefficients of 4 bits each: x = b0 + b1, y = b2 + b3.
            bytes = bytes[..128];
            for (int i = 0; i < 128; i++)
            {
                int v = bytes[i];
                int t = (v & 0x55) + ((v >> 1) & 0x55);   // 2-bit lane sums
                f[2 * i] = Centered((t & 3) - ((t >> 2) & 3));
                f[2 * i + 1] = Centered(((t >> 4) & 3) - ((t >> 6) & 3));
            }
        }
        else if (eta == 3)
        {
            // Each 3 bytes hold four coefficients of 6 bits each: x = b0+b1+b2, y = b3+b4+b5.
            bytes = bytes[..192];
            for (int i = 0; i < 64; i++)
            {
                int w = bytes[3 * i] | (bytes[3 * i + 1] << 8) | (bytes[3 * i + 2] << 16);
                int t = (w & 0x249249) + ((w >> 1) & 0x249249) + ((w >> 2) & 0x249249);   // 3-bit lane sums
                for (int c = 0; c < 4; c++)
                {
                    int x = (t >> (6 * c)) & 7;
                    int y = (t >> (6 * c + 3)) & 7;
                    f[4 * i + c] = Centered(x - y);
                }
            }
        }
        else
        {
            throw new ArgumentOutOfRangeException(nameof(eta));
        }
    }

    /// <summary>Maps v ∈ [-q, q) to v mod q without branches.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static short Centered(int v) => (short)(v + ((v >> 31) & Q));

    // ---------------------------------------------------------------------------------------
    // Encoding (FIPS 203 §4.2.1).
    // ---------------------------------------------------------------------------------------

    /// <summary>
    /// ByteEncode_d(F) (FIPS 203 Alg. 5) for 1 ≤ d ≤ 12: packs 256 d-bit integers little-endian
    /// into 32·d bytes. The loop structure depends on d only.
    /// </summary>
    public static void ByteEncode(int d, ReadOnlySpan<short> f, Span<byte> output)
    {
        f = f[..N];
        output = output[..(32 * d)];
        ulong accumulator = 0;
        int bits = 0;
        int o = 0;
        for (int i = 0; i < N; i++)
        {
            accumulator |= (ulong)(ushort)f[i] << bits;
            bits += d;
            while (bits >= 8)
            {
                output[o++] = (byte)accumulator;
                accumulator >>= 8;
                bits -= 8;
            }
        }
    }

    /// <summary>
    /// ByteDecode_d(B) (FIPS 203 Alg. 6) for 1 ≤ d ≤ 12: unpacks 32·d bytes into 256 d-bit
    /// integers; for d = 12 each value is reduced modulo q (branch-free), as the algorithm says.
    /// </summary>
    public static void ByteDecode(int d, ReadOnlySpan<byte> input, Span<short> f)
    {
        f = f[..N];
        input = input[..(32 * d)];
        int mask = (1 << d) - 1;
        ulong accumulator = 0;
        int bits = 0;
        int position = 0;
        for (int i = 0; i < N; i++)
        {
            while (bits < d)
            {
                accumulator |= (ulong)input[position++] << bits;
                bits += 8;
            }

            int value = (int)accumulator & mask;
            accumulator >>= d;
            bits -= d;
            f[i] = (short)(d == 12 ? ConditionalSubtractQ(value) : value);
        }
    }

    /// <summary>
    /// The modulus check of FIPS 203 §7.2 on one or more ByteEncode12-encoded polynomials:
    /// ByteEncode12(ByteDecode12(B)) = B holds exactly when every 12-bit field is below q.
    /// </summary>
    public static bool IsReducedEncoding12(ReadOnlySpan<byte> encoded)
    {
        // The encoded key is public, so an early exit is fine.
        for (int i = 0; i + 3 <= encoded.Length; i += 3)
        {
            int d1 = encoded[i] | ((encoded[i + 1] & 0x0F) << 8);
            int d2 = (encoded[i + 1] >> 4) | (encoded[i + 2] << 4);
            if (d1 >= Q || d2 >= Q)
            {
                return false;
            }
        }

        return true;
    }

    // ---------------------------------------------------------------------------------------
    // Compression (FIPS 203 §4.2.1, eq. 4.7 and 4.8).
    // ---------------------------------------------------------------------------------------

    /// <summary>
    /// Compress_d(x) = ⌈(2^d / q)·x⌋ mod 2^d (eq. 4.7), in place, for 1 ≤ d ≤ 11.
    /// Since q is odd, (2^d·x)/q is never a half-integer, so the rounding is ⌊(2^d·x + (q−1)/2)/q⌋.
    /// </summary>
    public static void Compress(int d, Span<short> f)
    {
        f = f[..N];
        int mask = (1 << d) - 1;
        for (int i = 0; i < N; i++)
        {
            f[i] = (short)(DivideByQ((f[i] << d) + (Q - 1) / 2) & mask);
        }
    }

    /// <summary>
    /// Decompress_d(y) = ⌈(q / 2^d)·y⌋ (eq. 4.8), in place, for 1 ≤ d ≤ 11, rounding halves up.
    /// </summary>
    public static void Decompress(int d, Span<short> f)
    {
        f = f[..N];
        int half = 1 << (d - 1);
        for (int i = 0; i < N; i++)
        {
            f[i] = (short)((f[i] * Q + half) >> d);
        }
    }
}
