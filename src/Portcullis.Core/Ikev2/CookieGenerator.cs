using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using Portcullis.Core.Crypto;

namespace Portcullis.Core.Ikev2;

/// <summary>
/// Stateless cookies for IKE_SA_INIT (RFC 7296 §2.6), so that a responder under load keeps no state for an initiator
/// until it has shown it receives at its claimed address:
/// <code>
///  Cookie = &lt;VersionIDofSecret&gt; | HMAC-SHA-256(&lt;secret&gt;, Ni | IPi | SPIi)
/// </code>
/// The version is a one-byte counter. The secret is replaced every <see cref="SecretLifetime"/>; cookies made with the
/// previous one are still accepted for <see cref="GracePeriod"/> after that, so an initiator that got a cookie just
/// before a change is not refused. Secrets live in <see cref="SecretBuffer"/>s and are wiped once no longer accepted.
/// Sans-IO: time is passed in and rotation happens on use; random bytes come from the caller (the engine's source).
/// </summary>
public sealed class CookieGenerator : IDisposable
{
    /// <summary>Bytes of each secret (the HMAC-SHA-256 block size would allow more; 32 is its full strength).</summary>
    public const int SecretLength = 32;

    /// <summary>Bytes of a cookie: the version byte and an HMAC-SHA-256 (RFC 7296 allows 1 to 64).</summary>
    public const int CookieLength = 1 + HMACSHA256.HashSizeInBytes;

    private readonly Action<Span<byte>> _random;
    private SecretBuffer? _current, _previous;
    private byte _currentVersion, _previousVersion;
    private DateTimeOffset _currentCreatedAt, _previousAcceptedUntil;

    /// <summary>A generator drawing its secrets from <paramref name="random"/>; none is made before the first use.</summary>
    public CookieGenerator(Action<Span<byte>> random, TimeSpan? secretLifetime = null, TimeSpan? gracePeriod = null)
    {
        _random = random;
        SecretLifetime = secretLifetime ?? TimeSpan.FromSeconds(60);
        GracePeriod = gracePeriod ?? TimeSpan.FromSeconds(10);
        if (SecretLifetime <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(secretLifetime));
        if (GracePeriod < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(gracePeriod));
    }

    /// <summary>How long one secret makes new cookies.</summary>
    public TimeSpan SecretLifetime { get; }

    /// <summary>How long cookies of the previous secret are still accepted after it was replaced.</summary>
    public TimeSpan GracePeriod { get; }

    /// <summary>The version byte of the secret that makes cookies now (after rotating at <paramref name="now"/>).</summary>
    public byte CurrentVersion(DateTimeOffset now)
    {
        Rotate(now);
        return _currentVersion;
    }

    /// <summary>The cookie for an initiator: its nonce Ni, its address IPi and its SPIi.</summary>
    public byte[] Generate(DateTimeOffset now, ReadOnlySpan<byte> nonceI, IPAddress initiator, ulong spiI)
    {
        Rotate(now);
        var cookie = new byte[CookieLength];
        cookie[0] = _currentVersion;
        Mac(_current!, nonceI, initiator, spiI, cookie.AsSpan(1));
        return cookie;
    }

    /// <summary>
    /// True when <paramref name="cookie"/> is one this generator made for these values with the current secret, or
    /// with the previous one within its grace period. Compared in constant time.
    /// </summary>
    public bool Verify(DateTimeOffset now, ReadOnlySpan<byte> cookie, ReadOnlySpan<byte> nonceI, IPAddress initiator, ulong spiI)
    {
        Rotate(now);
        if (cookie.Length != CookieLength) return false;
        SecretBuffer? secret = cookie[0] == _currentVersion ? _current
            : _previous is not null && cookie[0] == _previousVersion ? _previous : null;
        if (secret is null) return false;
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(secret, nonceI, initiator, spiI, expected);
        return CryptographicOperations.FixedTimeEquals(expected, cookie[1..]);
    }

    private static void Mac(SecretBuffer secret, ReadOnlySpan<byte> nonceI, IPAddress initiator, ulong spiI, Span<byte> destination)
    {
        // Ni is at most 256 bytes (RFC 7296 §3.9), IPi at most 16, SPIi 8: the input always fits on the stack.
        Span<byte> input = stackalloc byte[Wire.NoncePayload.MaximumSize + 16 + 8];
        if (nonceI.Length > Wire.NoncePayload.MaximumSize) nonceI = nonceI[..Wire.NoncePayload.MaximumSize];
        nonceI.CopyTo(input);
        int at = nonceI.Length;
        initiator.TryWriteBytes(input[at..], out int addressLength);
        at += addressLength;
        BinaryPrimitives.WriteUInt64BigEndian(input[at..], spiI);
        at += 8;
        HMACSHA256.HashData(secret.ReadOnlySpan, input[..at], destination);
    }

    /// <summary>Replaces the secret when its lifetime is over and forgets the previous one after its grace period.</summary>
    private void Rotate(DateTimeOffset now)
    {
        if (_previous is not null && now >= _previousAcceptedUntil)
        {
            _previous.Dispose();
            _previous = null;
        }
        if (_current is not null && now < _currentCreatedAt + SecretLifetime) return;
        if (_current is not null)
        {
            // The grace period runs from when the secret was due to be replaced, not from this (possibly late) use.
            DateTimeOffset acceptedUntil = _currentCreatedAt + SecretLifetime + GracePeriod;
            _previous?.Dispose();
            _previous = null;
            if (now < acceptedUntil)
            {
                _previous = _current;
                _previousVersion = _currentVersion;
                _previousAcceptedUntil = acceptedUntil;
            }
            else
            {
                _current.Dispose();
            }
            _currentVersion++;
        }
        Span<byte> fresh = stackalloc byte[SecretLength];
        _random(fresh);
        _current = new SecretBuffer(fresh);
        CryptographicOperations.ZeroMemory(fresh);
        _currentCreatedAt = now;
    }

    /// <summary>Wipes both secrets.</summary>
    public void Dispose()
    {
        _current?.Dispose();
        _previous?.Dispose();
        _current = _previous = null;
    }
}
