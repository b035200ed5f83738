using System.Security.Cryptography;

namespace Portcullis.Core.Crypto.Transforms;

/// <summary>
/// HMAC (RFC 2104) over a BCL hash, keyed once per SA; serves as a PRF (full output, RFC 4868 §2.1.2 and
/// RFC 2104) and as an integrity transform (output truncated to the ICV size: HMAC-SHA1-96, HMAC-SHA2-256-128 …).
/// </summary>
internal sealed class Hmac : IPrf, IIntegrity
{
    private readonly IncrementalHash _hmac;
    private readonly int _hashSize;

    public Hmac(HashAlgorithmName hash, ReadOnlySpan<byte> key, int outputSize)
    {
        _hmac = IncrementalHash.CreateHMAC(hash, key);
        _hashSize = _hmac.HashLengthInBytes;
        if (outputSize > _hashSize) throw new ArgumentOutOfRangeException(nameof(outputSize));
        OutputSize = outputSize;
    }

    public int OutputSize { get; }
    public int IcvSize => OutputSize;

    public void Compute(ReadOnlySpan<byte> data, Span<byte> output) => Compute(data, [], output);

    public void Compute(ReadOnlySpan<byte> data, ReadOnlySpan<byte> trailer, Span<byte> output)
    {
        _hmac.AppendData(data);
        if (!trailer.IsEmpty) _hmac.AppendData(trailer);
        if (OutputSize == _hashSize)
        {
            _hmac.GetHashAndReset(output[..OutputSize]);
            return;
        }
        Span<byte> full = stackalloc byte[_hashSize];
        _hmac.GetHashAndReset(full);
        full[..OutputSize].CopyTo(output);
        CryptographicOperations.ZeroMemory(full);
    }

    public void Dispose() => _hmac.Dispose();
}
