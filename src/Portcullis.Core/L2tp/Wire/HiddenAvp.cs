using System.Buffers.Binary;
using System.Security.Cryptography;
using Portcullis.Core.Ikev2.Wire;

namespace Portcullis.Core.L2tp.Wire;

/// <summary>
/// Hiding of AVP attribute values (RFC 2661 §4.3). The hidden value is the subformat "Original Length (2) | Original
/// Value | Padding" masked 16 bytes at a time, RADIUS-style: the first mask is MD5(Attribute Type (2) | secret |
/// Random Vector), each next one MD5(secret | previous masked block); a short last block uses the head of its mask.
/// The Random Vector is the value of the last Random Vector AVP before the hidden one in the same message.
/// </summary>
public static class HiddenAvp
{
    private const int BlockSize = 16;

    /// <summary>Padding that makes the subformat of a value of this length a whole number of 16-byte blocks.</summary>
    public static int PaddingFor(int valueLength) => (BlockSize - (2 + valueLength) % BlockSize) % BlockSize;

    /// <summary>Bytes of the hidden value of a value of this length with the given padding.</summary>
    public static int HiddenLength(int valueLength, int paddingLength) => 2 + valueLength + paddingLength;

    /// <summary>
    /// Hides <paramref name="value"/> followed by <paramref name="padding"/> (random bytes that hide the value's
    /// length) into <paramref name="destination"/>, which needs <see cref="HiddenLength"/> bytes.
    /// </summary>
    public static void Hide(ushort attributeType, ReadOnlySpan<byte> value, ReadOnlySpan<byte> padding, ReadOnlySpan<byte> secret,
        ReadOnlySpan<byte> randomVector, Span<byte> destination)
    {
        int length = HiddenLength(value.Length, padding.Length);
        if (value.Length > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(value));
        if (destination.Length < length) throw new ArgumentException($"needs {length} bytes", nameof(destination));
        Span<byte> output = destination[..length];
        BinaryPrimitives.WriteUInt16BigEndian(output, (ushort)value.Length);
        value.CopyTo(output[2..]);
        padding.CopyTo(output[(2 + value.Length)..]);
        Mask(attributeType, secret, randomVector, output, hiding: true);
    }

    /// <summary>
    /// Recovers the original value of a hidden AVP. Fails when the recovered Original Length does not fit, which is
    /// what a wrong secret or a wrong Random Vector looks like.
    /// </summary>
    public static bool TryUnhide(ushort attributeType, ReadOnlySpan<byte> hidden, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> randomVector,
        out byte[] value, out ParseError error)
    {
        value = [];
        error = default;
        string name = L2tpAttributes.NameOf((L2tpAttributeType)attributeType);
        if (hidden.Length < 2) { error = new(name, $"hidden value of {hidden.Length} bytes has no Original Length"); return false; }
        byte[] plain = hidden.ToArray();
        Mask(attributeType, secret, randomVector, plain, hiding: false);
        int original = BinaryPrimitives.ReadUInt16BigEndian(plain);
        if (original > plain.Length - 2)
        {
            error = new(name, $"hidden value's Original Length {original} exceeds the {plain.Length - 2} bytes hidden (wrong tunnel secret?)");
            return false;
        }
        value = plain.AsSpan(2, original).ToArray();
        return true;
    }

    private static void Mask(ushort attributeType, ReadOnlySpan<byte> secret, ReadOnlySpan<byte> randomVector, Span<byte> data, bool hiding)
    {
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        Span<byte> type = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(type, attributeType);
        md5.AppendData(type);
        md5.AppendData(secret);
        md5.AppendData(randomVector);
        Span<byte> mask = stackalloc byte[BlockSize];
        for (int at = 0; at < data.Length; at += BlockSize)
        {
            md5.GetHashAndReset(mask);
            Span<byte> block = data.Slice(at, Math.Min(BlockSize, data.Length - at));
            // The next mask chains on the masked block: after masking when hiding, before unmasking when unhiding.
            if (!hiding) { md5.AppendData(secret); md5.AppendData(block); }
            for (int i = 0; i < block.Length; i++) block[i] ^= mask[i];
            if (hiding) { md5.AppendData(secret); md5.AppendData(block); }
        }
    }
}
