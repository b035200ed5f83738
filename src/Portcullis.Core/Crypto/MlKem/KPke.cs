using System.Runtime.InteropServices;
using System.Security.Cryptography;
using static Portcullis.Core.Crypto.MlKem.MlKemPolynomial;

namespace Portcullis.Core.Crypto.MlKem;

/// <summary>
/// K-PKE, the CPA-secure public-key encryption scheme underlying ML-KEM (FIPS 203 §5).
/// Internal: K-PKE must not be used on its own.
/// </summary>
/// <remarks>
/// Vectors of polynomials are spans of k·256 coefficients. The matrix Â is never stored: each
/// entry is sampled when it is needed (it is used once in key generation and once in encryption).
/// Every buffer that held secret-derived data is zeroed before returning.
/// </remarks>
internal static class KPke
{
    /// <summary>The largest k (ML-KEM-1024), for stack buffers.</summary>
    private const int MaxK = 4;

    /// <summary>
    /// K-PKE.KeyGen(d) (FIPS 203 Alg. 13). Writes ek_PKE (384k + 32 bytes) and dk_PKE (384k bytes).
    /// </summary>
    public static void KeyGen(MlKemParameterSet p, ReadOnlySpan<byte> d, Span<byte> ekPke, Span<byte> dkPke)
    {
        int k = p.K;

        // Line 1: (ρ, σ) ← G(d‖k), G = SHA3-512 (eq. 4.5).
        Span<byte> gInput = stackalloc byte[33];
        d[..32].CopyTo(gInput);
        gInput[32] = (byte)k;
        Span<byte> rhoSigma = stackalloc byte[64];
        SHA3_512.HashData(gInput, rhoSigma);
        ReadOnlySpan<byte> rho = rhoSigma[..32];
        ReadOnlySpan<byte> sigma = rhoSigma[32..];

        Span<short> s = stackalloc short[MaxK * N];
        Span<short> e = stackalloc short[MaxK * N];
        Span<short> t = stackalloc short[MaxK * N];
        Span<short> a = stackalloc short[N];
        s = s[..(k * N)];
        e = e[..(k * N)];
        t = t[..(k * N)];

        try
        {
            // Lines 2, 8–15: s[i] ← SamplePolyCBD_η1(PRF_η1(σ, N)), then e[i] likewise; N counts up.
            byte nonce = 0;
            for (int i = 0; i < k; i++)
            {
                SamplePolyCbdFromPrf(p.Eta1, sigma, nonce++, s.Slice(i * N, N));
            }

            for (int i = 0; i < k; i++)
            {
                SamplePolyCbdFromPrf(p.Eta1, sigma, nonce++, e.Slice(i * N, N));
            }

            // Lines 16–17: ŝ ← NTT(s), ê ← NTT(e).
            for (int i = 0; i < k; i++)
            {
                Ntt(s.Slice(i * N, N));
                Ntt(e.Slice(i * N, N));
            }

            // Lines 3–7 and 18: t̂ ← Â ∘ ŝ + ê, with Â[i, j] ← SampleNTT(ρ‖j‖i).
            e.CopyTo(t);
            for (int i = 0; i < k; i++)
            {
                Span<short> ti = t.Slice(i * N, N);
                for (int j = 0; j < k; j++)
                {
                    SampleNtt(rho, (byte)j, (byte)i, a);
                    MultiplyNttsAccumulate(a, s.Slice(j * N, N), ti);
                }
            }

            // Lines 19–20: ek_PKE ← ByteEncode12(t̂)‖ρ, dk_PKE ← ByteEncode12(ŝ).
            for (int i = 0; i < k; i++)
            {
                ByteEncode(12, t.Slice(i * N, N), ekPke.Slice(i * EncodedPolySize, EncodedPolySize));
                ByteEncode(12, s.Slice(i * N, N), dkPke.Slice(i * EncodedPolySize, EncodedPolySize));
            }

            rho.CopyTo(ekPke.Slice(k * EncodedPolySize, 32));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(gInput);
            CryptographicOperations.ZeroMemory(rhoSigma);
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(s));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(e));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(t));
        }
    }

    /// <summary>
    /// K-PKE.Encrypt(ek_PKE, m, r) (FIPS 203 Alg. 14). Writes c (32·(du·k + dv) bytes).
    /// </summary>
    public static void Encrypt(MlKemParameterSet p, ReadOnlySpan<byte> ekPke, ReadOnlySpan<byte> m, ReadOnlySpan<byte> r, Span<byte> c)
    {
        int k = p.K;

        Span<short> tHat = stackalloc short[MaxK * N];
        Span<short> y = stackalloc short[MaxK * N];
        Span<short> u = stackalloc short[MaxK * N];
        Span<short> v = stackalloc short[N];
        Span<short> scratch = stackalloc short[N];
        tHat = tHat[..(k * N)];
        y = y[..(k * N)];
        u = u[..(k * N)];
        u.Clear();
        v.Clear();

        try
        {
            // Lines 2–3: t̂ ← ByteDecode12(ek_PKE[0 : 384k]), ρ ← ek_PKE[384k : 384k + 32].
            for (int i = 0; i < k; i++)
            {
                ByteDecode(12, ekPke.Slice(i * EncodedPolySize, EncodedPolySize), tHat.Slice(i * N, N));
            }

            ReadOnlySpan<byte> rho = ekPke.Slice(k * EncodedPolySize, 32);

            // Lines 1, 9–12: y[i] ← SamplePolyCBD_η1(PRF_η1(r, N)); N counts up from 0.
            byte nonce = 0;
            for (int i = 0; i < k; i++)
            {
                SamplePolyCbdFromPrf(p.Eta1, r, nonce++, y.Slice(i * N, N));
            }

            // Line 18: ŷ ← NTT(y).
            for (int i = 0; i < k; i++)
            {
                Ntt(y.Slice(i * N, N));
            }

            // Lines 4–8 and 19: u ← NTT^-1(Â^T ∘ ŷ) + e1, where (Â^T)[i, j] = Â[j, i] = SampleNTT(ρ‖i‖j).
            // Lines 13–16: e1[i] ← SamplePolyCBD_η2(PRF_η2(r, N)).
            for (int i = 0; i < k; i++)
            {
                Span<short> ui = u.Slice(i * N, N);
                for (int j = 0; j < k; j++)
                {
                    SampleNtt(rho, (byte)i, (byte)j, scratch);
                    MultiplyNttsAccumulate(scratch, y.Slice(j * N, N), ui);
                }

                InverseNtt(ui);
                SamplePolyCbdFromPrf(p.Eta2, r, (byte)(k + i), scratch);
                Add(ui, scratch);
            }

            // Line 21: v ← NTT^-1(t̂^T ∘ ŷ) + e2 + μ.
            for (int i = 0; i < k; i++)
            {
                MultiplyNttsAccumulate(tHat.Slice(i * N, N), y.Slice(i * N, N), v);
            }

            InverseNtt(v);

            // Line 17: e2 ← SamplePolyCBD_η2(PRF_η2(r, N)) with N = 2k.
            SamplePolyCbdFromPrf(p.Eta2, r, (byte)(2 * k), scratch);
            Add(v, scratch);

            // Line 20: μ ← Decompress1(ByteDecode1(m)).
            ByteDecode(1, m, scratch);
            Decompress(1, scratch);
            Add(v, scratch);

            // Lines 22–24: c1 ← ByteEncode_du(Compress_du(u)), c2 ← ByteEncode_dv(Compress_dv(v)).
            int polyBytesU = 32 * p.Du;
            for (int i = 0; i < k; i++)
            {
                Span<short> ui = u.Slice(i * N, N);
                Compress(p.Du, ui);
                ByteEncode(p.Du, ui, c.Slice(i * polyBytesU, polyBytesU));
            }

            Compress(p.Dv, v);
            ByteEncode(p.Dv, v, c.Slice(p.C1Size, 32 * p.Dv));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(y));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(u));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(v));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(scratch));
        }
    }

    /// <summary>
    /// K-PKE.Decrypt(dk_PKE, c) (FIPS 203 Alg. 15). Writes the 32-byte message m.
    /// </summary>
    public static void Decrypt(MlKemParameterSet p, ReadOnlySpan<byte> dkPke, ReadOnlySpan<byte> c, Span<byte> m)
    {
        int k = p.K;

        Span<short> sHat = stackalloc short[N];
        Span<short> uPrime = stackalloc short[N];
        Span<short> w = stackalloc short[N];
        w.Clear();

        try
        {
            // Lines 1, 3, 5: u′ ← Decompress_du(ByteDecode_du(c1)), ŝ ← ByteDecode12(dk_PKE);
            // line 6 (first part): accumulate ŝ^T ∘ NTT(u′), one component at a time.
            int polyBytesU = 32 * p.Du;
            for (int i = 0; i < k; i++)
            {
                ByteDecode(p.Du, c.Slice(i * polyBytesU, polyBytesU), uPrime);
                Decompress(p.Du, uPrime);
                Ntt(uPrime);
                ByteDecode(12, dkPke.Slice(i * EncodedPolySize, EncodedPolySize), sHat);
                MultiplyNttsAccumulate(sHat, uPrime, w);
            }

            InverseNtt(w);

            // Lines 2, 4: v′ ← Decompress_dv(ByteDecode_dv(c2)); line 6: w ← v′ − NTT^-1(ŝ^T ∘ NTT(u′)).
            ByteDecode(p.Dv, c.Slice(p.C1Size, 32 * p.Dv), uPrime);
            Decompress(p.Dv, uPrime);
            SubtractFrom(w, uPrime);

            // Line 7: m ← ByteEncode1(Compress1(w)).
            Compress(1, w);
            ByteEncode(1, w, m);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(sHat));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(uPrime));
            CryptographicOperations.ZeroMemory(MemoryMarshal.AsBytes(w));
        }
    }
}
