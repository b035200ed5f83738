using System.Security.Cryptography;
using System.Text;

namespace Portcullis.Core.Ikev1.Wire;

/// <summary>The Vendor IDs Portcullis sends or recognises (capabilities, and peers named in logs).</summary>
public static class VendorIds
{
    /// <summary>RFC 3947 NAT traversal: MD5("RFC 3947").</summary>
    public static readonly byte[] NatTraversal = MD5.HashData(Encoding.ASCII.GetBytes("RFC 3947"));

    /// <summary>RFC 3706 Dead Peer Detection, version 1.0.</summary>
    public static readonly byte[] Dpd = Convert.FromHexString("AFCAD71368A1F1C96B8696FC77570100");

    /// <summary>XAUTH (draft-beaulieu-ike-xauth).</summary>
    public static readonly byte[] Xauth = Convert.FromHexString("09002689DFD6B712");

    /// <summary>Cisco Unity, version 1.0.</summary>
    public static readonly byte[] CiscoUnity = Convert.FromHexString("12F5F28C457168A9702D9FE274CC0100");

    /// <summary>Microsoft's "MS NT5 ISAKMPOAKLEY", followed by a 4-byte Windows version.</summary>
    public static readonly byte[] MsNt5IsakmpOakley = Convert.FromHexString("1E2B516905991C7D7C96FCBFB587E461");

    /// <summary>strongSwan: MD5("strongSwan"), sent when its send_vendor_id is set.</summary>
    public static readonly byte[] StrongSwan = MD5.HashData(Encoding.ASCII.GetBytes("strongSwan"));

    /// <summary>Cisco IKE fragmentation.</summary>
    public static readonly byte[] CiscoFragmentation = Convert.FromHexString("4048B7D56EBCE88525E7DE7F00D6C2D3");

    private static readonly (string Name, byte[] Id, bool Prefix)[] s_known =
    [
        ("NAT-T (RFC 3947)", NatTraversal, false),
        ("DPD", Dpd, false),
        ("XAuth", Xauth, false),
        ("Cisco Unity", CiscoUnity, false),
        ("MS NT5 ISAKMPOAKLEY", MsNt5IsakmpOakley, true),
        ("strongSwan", StrongSwan, false),
        ("FRAGMENTATION", CiscoFragmentation, true),
        ("draft-ietf-ipsec-nat-t-ike-02", Convert.FromHexString("CD60464335DF21F87CFDB2FC68B6A448"), false),
        ("draft-ietf-ipsec-nat-t-ike-02\\n", Convert.FromHexString("90CB80913EBB696E086381B5EC427B1F"), false),
        ("draft-ietf-ipsec-nat-t-ike-03", Convert.FromHexString("7D9419A65310CA6F2C179D9215529D56"), false),
    ];

    /// <summary>The name of a known Vendor ID, or null.</summary>
    public static string? Name(ReadOnlySpan<byte> id)
    {
        foreach ((string name, byte[] known, bool prefix) in s_known)
            if (prefix ? id.StartsWith(known) : id.SequenceEqual(known)) return name;
        return null;
    }
}
