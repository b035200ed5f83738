using System.Security.Cryptography;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// COOKIE2 notification data (RFC 4555 §4.2.5): 8 to 64 random octets the initiator puts in an INFORMATIONAL request
/// and the responder copies into its response, a return routability check of the path.
/// </summary>
public static class Cookie2
{
    /// <summary>Shortest COOKIE2 the RFC allows.</summary>
    public const int MinimumSize = 8;

    /// <summary>Longest COOKIE2 the RFC allows.</summary>
    public const int MaximumSize = 64;

    /// <summary>The size this side sends (as strongSwan does).</summary>
    public const int Size = 16;

    /// <summary>Checks the length of a received COOKIE2.</summary>
    public static bool TryParse(NotifyPayload notify, out byte[]? cookie, out ParseError error)
    {
        cookie = null;
        error = default;
        if (notify.Data.Length is < MinimumSize or > MaximumSize)
        {
            error = new("Notification Data", $"COOKIE2 of {notify.Data.Length} bytes, must be {MinimumSize} to {MaximumSize}");
            return false;
        }
        cookie = notify.Data.ToArray();
        return true;
    }

    /// <summary>The response echoes exactly the cookie we sent (compared in constant time).</summary>
    public static bool Echoes(NotifyPayload? echoed, byte[] sent) =>
        echoed is not null && CryptographicOperations.FixedTimeEquals(echoed.Data, sent);
}
