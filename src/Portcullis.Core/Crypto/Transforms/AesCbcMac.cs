using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// The two AES CBC-MAC variants IPsec uses, which differ only in their subkeys and in the key that runs the chain:
/// AES-XCBC-MAC (RFC 3566) and AES-CMAC (RFC 4493). A complete last block is XORed with the first subkey; an
/// incomplete (or empty) one is padded 10* and XORed with the second. The chain runs on an EVP AES-CBC context keyed
/// once (<see cref="EvpCipher"/>), so a packet costs no key schedule and no allocation.
/// </summary>
internal sealed class AesCbcMac : IDisposable
{
    public const int BlockSize = 16;
    private const int ChunkSize = 32 * BlockSize;
    private readonly EvpCipher _chain;
    private readonly byte[] _completeKey = GC.AllocateArray<byte>(BlockSize, pinned: true);
    private readonly byte[] _partialKey = GC.AllocateArray<byte>(BlockSize, pinned: true);

    private AesCbcMac(EvpCipher chain, ReadOnlySpan<byte> completeKey, ReadOnlySpan<byte> partialKey)
    {
        _chain = chain;
        completeKey.CopyTo(_completeKey);
        partialKey.CopyTo(_partialKey);
    }

    /// <summary>AES-XCBC-MAC (RFC 3566 §4): K1 = E(K, 0x01…) runs the chain, K2 = E(K, 0x02…), K3 = E(K, 0x03…).</summary>
    public static AesCbcMac Xcbc(ReadOnlySpan<byte> key)
    {
        Span<byte> derived = stackalloc byte[3 * BlockSize];
        for (int i = 0; i < 3; i++) derived.Slice(i * BlockSize, BlockSize).Fill((byte)(i + 1));
        using (EvpCipher aes = Chain(key))
        {
            // ECB, block by block: CBC of one block under a zero IV.
            for (int i = 0; i < 3; i++) aes.Encrypt(s_zeroIv, derived.Slice(i * BlockSize, BlockSize), derived.Slice(i * BlockSize, BlockSize));
        }
        var mac = new AesCbcMac(Chain(derived[..BlockSize]), derived.Slice(BlockSize, BlockSize), derived.Slice(2 * BlockSize, BlockSize));
        CryptographicOperations.ZeroMemory(derived);
        return mac;
    }

    /// <summary>AES-CMAC (RFC 4493 §2.3): L = E(K, 0), K1 = dbl(L), K2 = dbl(K1); K itself runs the chain.</summary>
    public static AesCbcMac Cmac(ReadOnlySpan<byte> key)
    {
        EvpCipher aes = Chain(key);
        Span<byte> l = stackalloc byte[BlockSize];
        Span<byte> k1 = stackalloc byte[BlockSize];
        Span<byte> k2 = stackalloc byte[BlockSize];
        l.Clear();
        aes.Encrypt(s_zeroIv, l, l);
        Double(l, k1);
        Double(k1, k2);
        var mac = new AesCbcMac(aes, k1, k2);
        CryptographicOperations.ZeroMemory(l);
        CryptographicOperations.ZeroMemory(k1);
        CryptographicOperations.ZeroMemory(k2);
        return mac;
    }

    private static readonly byte[] s_zeroIv = new byte[BlockSize];

    /// <summary>AES-128/192/256-CBC under <paramref name="key"/> (XCBC and CMAC in IPsec use AES-128).</summary>
    private static EvpCipher Chain(ReadOnlySpan<byte> key) => EvpCipher.Cbc($"AES-{key.Length * 8}-CBC", key, BlockSize);

    /// <summary>Multiplication by x in GF(2^128) (RFC 4493 §2.3), without a secret-dependent branch.</summary>
    private static void Double(ReadOnlySpan<byte> input, Span<byte> output)
    {
        int carry = input[0] >> 7;
        for (int i = 0; i < BlockSize - 1; i++)
            output[i] = (byte)((input[i] << 1) | (input[i + 1] >> 7));
        output[BlockSize - 1] = (byte)((input[BlockSize - 1] << 1) ^ (0x87 & -carry));
    }

    /// <summary>Writes the full 16-byte MAC of <paramref name="message"/>.</summary>
    public void Compute(ReadOnlySpan<byte> message, Span<byte> mac) => Compute(message, [], mac);

    /// <summary>
    /// Writes the full 16-byte MAC of <paramref name="message"/> ‖ <paramref name="trailer"/> (a trailer of at most
    /// one block, as an ESN's high-order bits): the message's whole blocks run straight from it, its tail and the
    /// trailer are joined in a small stack buffer.
    /// </summary>
    public void Compute(ReadOnlySpan<byte> message, ReadOnlySpan<byte> trailer, Span<byte> mac)
    {
        if (trailer.Length > BlockSize) throw new ArgumentOutOfRangeException(nameof(trailer), "the trailer is at most one block");
        int total = message.Length + trailer.Length;
        int blocks = Math.Max(1, (total + BlockSize - 1) / BlockSize);
        int head = (blocks - 1) * BlockSize; // bytes before the last block
        // The bytes from the message's last whole block inside head, joined with the trailer: at most two blocks.
        int direct = Math.Min(head, message.Length / BlockSize * BlockSize);
        Span<byte> joined = stackalloc byte[3 * BlockSize];
        int joinedLength = total - direct;
        message[direct..].CopyTo(joined);
        trailer.CopyTo(joined[(message.Length - direct)..]);

        Span<byte> last = stackalloc byte[BlockSize];
        last.Clear();
        ReadOnlySpan<byte> tail = joined[(head - direct)..joinedLength];
        tail.CopyTo(last);
        bool complete = tail.Length == BlockSize;
        if (!complete) last[tail.Length] = 0x80;
        ReadOnlySpan<byte> subkey = complete ? _completeKey : _partialKey;
        for (int i = 0; i < BlockSize; i++) last[i] ^= subkey[i];

        // CBC over all blocks, the last one XORed with its subkey, ends in the MAC. Only the chaining value is kept:
        // the blocks before the last run through a small stack buffer, chunk by chunk, each chunk's IV the last
        // ciphertext block of the one before.
        Span<byte> chain = stackalloc byte[BlockSize];
        chain.Clear();
        Span<byte> scratch = stackalloc byte[ChunkSize];
        for (int offset = 0; offset < direct; offset += ChunkSize)
        {
            int length = Math.Min(ChunkSize, direct - offset);
            _chain.Encrypt(chain, message.Slice(offset, length), scratch[..length]);
            scratch.Slice(length - BlockSize, BlockSize).CopyTo(chain);
        }
        if (head > direct)
        {
            int length = head - direct;
            _chain.Encrypt(chain, joined[..length], scratch[..length]);
            scratch.Slice(length - BlockSize, BlockSize).CopyTo(chain);
        }
        _chain.Encrypt(chain, last, mac[..BlockSize]);
        CryptographicOperations.ZeroMemory(last);
        CryptographicOperations.ZeroMemory(joined);
        CryptographicOperations.ZeroMemory(scratch);
    }

    public void Dispose()
    {
        _chain.Dispose();
        CryptographicOperations.ZeroMemory(_completeKey);
        CryptographicOperations.ZeroMemory(_partialKey);
    }
}

/// <summary>AES-XCBC-96 (RFC 3566) and AES-CMAC-96 (RFC 4494) as integrity transforms: the MAC truncated to 12 bytes.</summary>
internal sealed class AesCbcMacIntegrity(AesCbcMac mac, int icvSize) : IIntegrity
{
    public int IcvSize => icvSize;

    public void Compute(ReadOnlySpan<byte> data, Span<byte> icv) => Compute(data, [], icv);

    public void Compute(ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, Span<byte> icv)
    {
        Span<byte> full = stackalloc byte[AesCbcMac.BlockSize];
        mac.Compute(data, trailer, full);
        full[..IcvSize].CopyTo(icv);
        CryptographicOperations.ZeroMemory(full);
    }

    public void Dispose() => mac.Dispose();
}

/// <summary>
/// PRF_AES128_XCBC (RFC 4434) and PRF_AES128_CMAC (RFC 4615): AES-128 CBC-MACs that accept a key of any length.
/// A 16-byte key is used as is. XCBC pads a shorter key with zeroes and hashes a longer one with XCBC under the
/// zero key; CMAC hashes any other length with CMAC under the zero key.
/// </summary>
internal sealed class AesCbcMacPrf : IPrf
{
    private readonly AesCbcMac _mac;

    private AesCbcMacPrf(AesCbcMac mac) => _mac = mac;

    public int OutputSize => AesCbcMac.BlockSize;

    public static AesCbcMacPrf Xcbc(ReadOnlySpan<byte> key)
    {
        Span<byte> k = stackalloc byte[AesCbcMac.BlockSize];
        k.Clear();
        if (key.Length <= AesCbcMac.BlockSize)
        {
            key.CopyTo(k);
        }
        else
        {
            using AesCbcMac zero = AesCbcMac.Xcbc(stackalloc byte[AesCbcMac.BlockSize]);
            zero.Compute(key, k);
        }
        var prf = new AesCbcMacPrf(AesCbcMac.Xcbc(k));
        CryptographicOperations.ZeroMemory(k);
        return prf;
    }

    public static AesCbcMacPrf Cmac(ReadOnlySpan<byte> key)
    {
        if (key.Length == AesCbcMac.BlockSize) return new AesCbcMacPrf(AesCbcMac.Cmac(key));
        Span<byte> k = stackalloc byte[AesCbcMac.BlockSize];
        using (AesCbcMac zero = AesCbcMac.Cmac(stackalloc byte[AesCbcMac.BlockSize]))
            zero.Compute(key, k);
        var prf = new AesCbcMacPrf(AesCbcMac.Cmac(k));
        CryptographicOperations.ZeroMemory(k);
        return prf;
    }

    public void Compute(ReadOnlySpan<byte> data, Span<byte> output) => _mac.Compute(data, output);

    public void Dispose() => _mac.Dispose();
}
