using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.MlKem;

/// <summary>
/// ML-KEM, the Module-Lattice-Based Key-Encapsulation Mechanism of FIPS 203, in managed code.
/// </summary>
/// <remarks>
/// <para>
/// The hash functions are those of FIPS 203 §4.1: H = SHA3-256, G = SHA3-512, J = SHAKE256 with
/// 32 bytes of output, PRF_η = SHAKE256 with 64·η bytes of output and XOF = SHAKE128.
/// </para>
/// <para>
/// Secret data never decides a branch or a table index; the re-encryption check of decapsulation
/// compares with <see cref="CryptographicOperations.FixedTimeEquals"/> and selects between K′ and
/// K̄ with a mask. Intermediate secrets are zeroed before returning. Peer input (an encapsulation
/// key or a ciphertext) that fails the FIPS 203 §7 checks makes a method return
/// <see langword="false"/>; an output span of the wrong size is a caller bug and throws
/// <see cref="ArgumentException"/>.
/// </para>
/// </remarks>
public static class MlKem
{
    private const int SeedSize = 32;

    /// <summary>
    /// ML-KEM.KeyGen_internal(d, z) (FIPS 203 Alg. 16): derives a key pair deterministically from
    /// the 32-byte seeds <paramref name="d"/> and <paramref name="z"/>.
    /// </summary>
    /// <param name="p">The parameter set.</param>
    /// <param name="d">The 32-byte seed of K-PKE.KeyGen.</param>
    /// <param name="z">The 32-byte implicit-rejection seed.</param>
    /// <param name="encapsulationKey">Receives ek; exactly <see cref="MlKemParameterSet.EncapsulationKeySize"/> bytes.</param>
    /// <param name="decapsulationKey">Receives dk; exactly <see cref="MlKemParameterSet.DecapsulationKeySize"/> bytes.</param>
    /// <exception cref="ArgumentException">A seed or output span has the wrong size.</exception>
    public static void KeyGen(MlKemParameterSet p, ReadOnlySpan<byte> d, ReadOnlySpan<byte> z, Span<byte> encapsulationKey, Span<byte> decapsulationKey)
    {
        ArgumentNullException.ThrowIfNull(p);
        RequireLength(d, SeedSize, nameof(d));
        RequireLength(z, SeedSize, nameof(z));
        RequireLength(encapsulationKey, p.EncapsulationKeySize, nameof(encapsulationKey));
        RequireLength(decapsulationKey, p.DecapsulationKeySize, nameof(decapsulationKey));

        int dkPkeSize = p.DkPkeSize;
        int ekSize = p.EncapsulationKeySize;

        // Line 1: (ek_PKE, dk_PKE) ← K-PKE.KeyGen(d); line 2: ek ← ek_PKE.
        KPke.KeyGen(p, d, encapsulationKey, decapsulationKey[..dkPkeSize]);

        // Line 3: dk ← dk_PKE ‖ ek ‖ H(ek) ‖ z.
        encapsulationKey.CopyTo(decapsulationKey.Slice(dkPkeSize, ekSize));
        SHA3_256.HashData(encapsulationKey, decapsulationKey.Slice(dkPkeSize + ekSize, 32));
        z.CopyTo(decapsulationKey.Slice(dkPkeSize + ekSize + 32, 32));
    }

    /// <summary>
    /// ML-KEM.KeyGen() (FIPS 203 Alg. 19): generates a key pair from fresh randomness
    /// (<see cref="RandomNumberGenerator"/>).
    /// </summary>
    /// <param name="p">The parameter set.</param>
    /// <param name="encapsulationKey">Receives ek; exactly <see cref="MlKemParameterSet.EncapsulationKeySize"/> bytes.</param>
    /// <param name="decapsulationKey">Receives dk; exactly <see cref="MlKemParameterSet.DecapsulationKeySize"/> bytes.</param>
    /// <exception cref="ArgumentException">An output span has the wrong size.</exception>
    public static void GenerateKeyPair(MlKemParameterSet p, Span<byte> encapsulationKey, Span<byte> decapsulationKey)
    {
        ArgumentNullException.ThrowIfNull(p);
        RequireLength(encapsulationKey, p.EncapsulationKeySize, nameof(encapsulationKey));
        RequireLength(decapsulationKey, p.DecapsulationKeySize, nameof(decapsulationKey));

        Span<byte> seeds = stackalloc byte[2 * SeedSize];
        try
        {
            RandomNumberGenerator.Fill(seeds);
            KeyGen(p, seeds[..SeedSize], seeds[SeedSize..], encapsulationKey, decapsulationKey);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(seeds);
        }
    }

    /// <summary>
    /// The encapsulation key checks of FIPS 203 §7.2: the type check (length 384·k + 32) and the
    /// modulus check (ByteEncode12(ByteDecode12(ek[0 : 384k])) = ek[0 : 384k], i.e. every encoded
    /// coefficient is below q).
    /// </summary>
    /// <param name="p">The parameter set.</param>
    /// <param name="encapsulationKey">The encapsulation key to check.</param>
    /// <returns><see langword="true"/> when both checks pass.</returns>
    public static bool IsValidEncapsulationKey(MlKemParameterSet p, ReadOnlySpan<byte> encapsulationKey)
    {
        ArgumentNullException.ThrowIfNull(p);
        return encapsulationKey.Length == p.EncapsulationKeySize
            && MlKemPolynomial.IsReducedEncoding12(encapsulationKey[..p.DkPkeSize]);
    }

    /// <summary>
    /// ML-KEM.Encaps(ek) (FIPS 203 Alg. 20) with fresh randomness, after the §7.2 input checks.
    /// </summary>
    /// <param name="p">The parameter set.</param>
    /// <param name="encapsulationKey">The peer's encapsulation key ek.</param>
    /// <param name="ciphertext">Receives c; exactly <see cref="MlKemParameterSet.CiphertextSize"/> bytes.</param>
    /// <param name="sharedSecret">Receives K; exactly <see cref="MlKemParameterSet.SharedSecretSize"/> bytes.</param>
    /// <returns><see langword="false"/>, with nothing written, when ek fails the §7.2 checks.</returns>
    /// <exception cref="ArgumentException">An output span has the wrong size.</exception>
    public static bool Encapsulate(MlKemParameterSet p, ReadOnlySpan<byte> encapsulationKey, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(p);
        RequireLength(ciphertext, p.CiphertextSize, nameof(ciphertext));
        RequireLength(sharedSecret, MlKemParameterSet.SharedSecretSize, nameof(sharedSecret));
        if (!IsValidEncapsulationKey(p, encapsulationKey))
        {
            return false;
        }

        Span<byte> m = stackalloc byte[SeedSize];
        try
        {
            RandomNumberGenerator.Fill(m);
            EncapsulateInternal(p, encapsulationKey, m, ciphertext, sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(m);
        }

        return true;
    }

    /// <summary>
    /// ML-KEM.Encaps_internal(ek, m) (FIPS 203 Alg. 17) with the 32-byte randomness
    /// <paramref name="m"/>, after the §7.2 input checks.
    /// </summary>
    /// <param name="p">The parameter set.</param>
    /// <param name="encapsulationKey">The peer's encapsulation key ek.</param>
    /// <param name="m">The 32-byte randomness m.</param>
    /// <param name="ciphertext">Receives c; exactly <see cref="MlKemParameterSet.CiphertextSize"/> bytes.</param>
    /// <param name="sharedSecret">Receives K; exactly <see cref="MlKemParameterSet.SharedSecretSize"/> bytes.</param>
    /// <returns><see langword="false"/>, with nothing written, when ek fails the §7.2 checks.</returns>
    /// <exception cref="ArgumentException"><paramref name="m"/> or an output span has the wrong size.</exception>
    public static bool Encapsulate(MlKemParameterSet p, ReadOnlySpan<byte> encapsulationKey, ReadOnlySpan<byte> m, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(p);
        RequireLength(m, SeedSize, nameof(m));
        RequireLength(ciphertext, p.CiphertextSize, nameof(ciphertext));
        RequireLength(sharedSecret, MlKemParameterSet.SharedSecretSize, nameof(sharedSecret));
        if (!IsValidEncapsulationKey(p, encapsulationKey))
        {
            return false;
        }

        EncapsulateInternal(p, encapsulationKey, m, ciphertext, sharedSecret);
        return true;
    }

    /// <summary>
    /// ML-KEM.Decaps(dk, c) (FIPS 203 Alg. 21, i.e. Alg. 18 after the §7.3 input checks: the
    /// ciphertext and decapsulation key type checks and the hash check H(dk[384k : 768k + 32]) =
    /// dk[768k + 32 : 768k + 64]).
    /// </summary>
    /// <remarks>
    /// A ciphertext of the right length that was not produced for this key is not an error: by
    /// implicit rejection the method then returns <see langword="true"/> with K̄ = J(z‖c), a
    /// pseudorandom value unrelated to any encapsulated key.
    /// </remarks>
    /// <param name="p">The parameter set.</param>
    /// <param name="decapsulationKey">The decapsulation key dk.</param>
    /// <param name="ciphertext">The peer's ciphertext c.</param>
    /// <param name="sharedSecret">Receives K; exactly <see cref="MlKemParameterSet.SharedSecretSize"/> bytes.</param>
    /// <returns><see langword="false"/>, with nothing written, when the §7.3 checks fail.</returns>
    /// <exception cref="ArgumentException">The output span has the wrong size.</exception>
    public static bool Decapsulate(MlKemParameterSet p, ReadOnlySpan<byte> decapsulationKey, ReadOnlySpan<byte> ciphertext, Span<byte> sharedSecret)
    {
        ArgumentNullException.ThrowIfNull(p);
        RequireLength(sharedSecret, MlKemParameterSet.SharedSecretSize, nameof(sharedSecret));

        // §7.3 ciphertext type check and decapsulation key type check.
        if (ciphertext.Length != p.CiphertextSize || decapsulationKey.Length != p.DecapsulationKeySize)
        {
            return false;
        }

        // §7.3 hash check: H(dk[384k : 768k + 32]) = dk[768k + 32 : 768k + 64].
        int dkPkeSize = p.DkPkeSize;
        int ekSize = p.EncapsulationKeySize;
        Span<byte> hash = stackalloc byte[32];
        SHA3_256.HashData(decapsulationKey.Slice(dkPkeSize, ekSize), hash);
        if (!CryptographicOperations.FixedTimeEquals(hash, decapsulationKey.Slice(dkPkeSize + ekSize, 32)))
        {
            return false;
        }

        DecapsulateInternal(p, decapsulationKey, ciphertext, sharedSecret);
        return true;
    }

    /// <summary>ML-KEM.Encaps_internal(ek, m) (FIPS 203 Alg. 17); inputs already checked.</summary>
    private static void EncapsulateInternal(MlKemParameterSet p, ReadOnlySpan<byte> ek, ReadOnlySpan<byte> m, Span<byte> ciphertext, Span<byte> sharedSecret)
    {
        Span<byte> gInput = stackalloc byte[64];
        Span<byte> kr = stackalloc byte[64];
        try
        {
            // Line 1: (K, r) ← G(m ‖ H(ek)).
            m.CopyTo(gInput);
            SHA3_256.HashData(ek, gInput[32..]);
            SHA3_512.HashData(gInput, kr);

            // Line 2: c ← K-PKE.Encrypt(ek, m, r).
            KPke.Encrypt(p, ek, m, kr[32..], ciphertext);

            // Line 3: return (K, c).
            kr[..32].CopyTo(sharedSecret);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(gInput);
            CryptographicOperations.ZeroMemory(kr);
        }
    }

    /// <summary>ML-KEM.Decaps_internal(dk, c) (FIPS 203 Alg. 18); inputs already checked.</summary>
    private static void DecapsulateInternal(MlKemParameterSet p, ReadOnlySpan<byte> dk, ReadOnlySpan<byte> c, Span<byte> sharedSecret)
    {
        const int MaxCiphertextSize = 1568;
        int k = p.K;

        // Lines 1–4: dk_PKE ‖ ek_PKE ‖ h ‖ z.
        ReadOnlySpan<byte> dkPke = dk[..(384 * k)];
        ReadOnlySpan<byte> ekPke = dk.Slice(384 * k, 384 * k + 32);
        ReadOnlySpan<byte> h = dk.Slice(768 * k + 32, 32);
        ReadOnlySpan<byte> z = dk.Slice(768 * k + 64, 32);

        Span<byte> gInput = stackalloc byte[64];        // m′ ‖ h
        Span<byte> kr = stackalloc byte[64];            // K′ ‖ r′
        Span<byte> kBar = stackalloc byte[32];
        Span<byte> jInput = stackalloc byte[32 + MaxCiphertextSize];
        Span<byte> cPrime = stackalloc byte[MaxCiphertextSize];
        jInput = jInput[..(32 + c.Length)];
        cPrime = cPrime[..c.Length];

        try
        {
            // Line 5: m′ ← K-PKE.Decrypt(dk_PKE, c).
            KPke.Decrypt(p, dkPke, c, gInput[..32]);

            // Line 6: (K′, r′) ← G(m′ ‖ h).
            h.CopyTo(gInput[32..]);
            SHA3_512.HashData(gInput, kr);

            // Line 7: K̄ ← J(z ‖ c).
            z.CopyTo(jInput);
            c.CopyTo(jInput[32..]);
            Shake256.HashData(jInput, kBar);

            // Line 8: c′ ← K-PKE.Encrypt(ek_PKE, m′, r′).
            KPke.Encrypt(p, ekPke, gInput[..32], kr[32..], cPrime);

            // Lines 9–11: if c ≠ c′ then K′ ← K̄ — a fixed-time comparison and a masked select.
            bool equal = CryptographicOperations.FixedTimeEquals(c, cPrime);
            byte keep = (byte)(0 - Unsafe.As<bool, byte>(ref equal));   // 0xFF when c = c′, else 0x00
            for (int i = 0; i < 32; i++)
            {
                sharedSecret[i] = (byte)((kr[i] & keep) | (kBar[i] & ~keep));
            }
        }
        finally
        {
            CryptographicOperations.ZeroMemory(gInput);
            CryptographicOperations.ZeroMemory(kr);
            CryptographicOperations.ZeroMemory(kBar);
            CryptographicOperations.ZeroMemory(jInput);
            CryptographicOperations.ZeroMemory(cPrime);
        }
    }

    private static void RequireLength(ReadOnlySpan<byte> span, int length, string name)
    {
        if (span.Length != length)
        {
            throw new ArgumentException($"Expected exactly {length} bytes, got {span.Length}.", name);
        }
    }
}
