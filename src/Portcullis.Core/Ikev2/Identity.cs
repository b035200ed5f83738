using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Portcullis.Core.Ikev2;

/// <summary>IKEv2 identification types (RFC 7296 §3.5).</summary>
public enum IdType : byte
{
    /// <summary>A single IPv4 address.</summary>
    Ipv4Addr = 1,
    /// <summary>A fully-qualified domain name.</summary>
    Fqdn = 2,
    /// <summary>An e-mail address.</summary>
    Rfc822Addr = 3,
    /// <summary>A single IPv6 address.</summary>
    Ipv6Addr = 5,
    /// <summary>A DER-encoded X.500 distinguished name.</summary>
    DerAsn1Dn = 9,
    /// <summary>A DER-encoded X.500 GeneralName.</summary>
    DerAsn1Gn = 10,
    /// <summary>Opaque octets.</summary>
    KeyId = 11,
}

/// <summary>
/// An IKE identity (IDi/IDr data and how swanctl.conf writes it). strongSwan's rules for the text form: an IP
/// address is ID_IPV4/IPV6_ADDR; <c>@name</c> is ID_FQDN; <c>@#hex</c> is ID_KEY_ID; <c>user@host</c> is
/// ID_RFC822_ADDR; text with <c>=</c> is an ID_DER_ASN1_DN; anything else is ID_FQDN.
/// </summary>
public sealed class Identity : IEquatable<Identity>
{
    /// <summary>Creates an identity from its wire form.</summary>
    public Identity(IdType type, ReadOnlySpan<byte> data)
    {
        Type = type;
        Data = data.ToArray();
    }

    /// <summary>The ID type.</summary>
    public IdType Type { get; }

    /// <summary>The identification data as sent in the ID payload.</summary>
    public byte[] Data { get; }

    /// <summary>An identity for an address.</summary>
    public static Identity FromAddress(IPAddress address) =>
        new(address.AddressFamily == AddressFamily.InterNetwork ? IdType.Ipv4Addr : IdType.Ipv6Addr, address.GetAddressBytes());

    /// <summary>Parses swanctl.conf's identity syntax; false with a reason for text that names no identity.</summary>
    public static bool TryParse(string text, out Identity? identity, out string? error)
    {
        identity = null;
        error = null;
        if (string.IsNullOrEmpty(text)) { error = "empty identity"; return false; }
        if (IPAddress.TryParse(text, out IPAddress? address)) { identity = FromAddress(address); return true; }
        if (text.StartsWith("@#", StringComparison.Ordinal))
        {
            try { identity = new Identity(IdType.KeyId, Convert.FromHexString(text[2..].Replace(":", ""))); return true; }
            catch (FormatException) { error = $"'{text}': KEY_ID is not hexadecimal"; return false; }
        }
        if (text.StartsWith('@')) { identity = new Identity(IdType.Fqdn, Encoding.UTF8.GetBytes(text[1..])); return true; }
        if (text.Contains('=', StringComparison.Ordinal))
        {
            try
            {
                var dn = new X500DistinguishedName(text.Replace(", ", ","), X500DistinguishedNameFlags.UseCommas);
                identity = new Identity(IdType.DerAsn1Dn, dn.RawData);
                return true;
            }
            catch (System.Security.Cryptography.CryptographicException) { error = $"'{text}' is not a distinguished name"; return false; }
        }
        if (text.Contains('@', StringComparison.Ordinal)) { identity = new Identity(IdType.Rfc822Addr, Encoding.UTF8.GetBytes(text)); return true; }
        identity = new Identity(IdType.Fqdn, Encoding.UTF8.GetBytes(text));
        return true;
    }

    /// <summary>The text form, as strongSwan prints it.</summary>
    public override string ToString() => Type switch
    {
        IdType.Ipv4Addr when Data.Length == 4 => new IPAddress(Data).ToString(),
        IdType.Ipv6Addr when Data.Length == 16 => new IPAddress(Data).ToString(),
        IdType.Fqdn or IdType.Rfc822Addr => Encoding.UTF8.GetString(Data),
        IdType.DerAsn1Dn => TryDn(),
        _ => "@#" + Convert.ToHexStringLower(Data),
    };

    private string TryDn()
    {
        try { return new X500DistinguishedName(Data).Format(false).Replace(", ", ", "); }
        catch (System.Security.Cryptography.CryptographicException) { return "@#" + Convert.ToHexStringLower(Data); }
    }

    /// <inheritdoc />
    public bool Equals(Identity? other) => other is not null && other.Type == Type && other.Data.AsSpan().SequenceEqual(Data);

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Identity);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        // Over all the data: identities in a table (the engine's index by peer) often share their first byte and length.
        var hash = new HashCode();
        hash.Add(Type);
        hash.AddBytes(Data);
        return hash.ToHashCode();
    }
}
