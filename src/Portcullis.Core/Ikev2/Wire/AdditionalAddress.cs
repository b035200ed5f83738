using System.Net;
using System.Net.Sockets;

namespace Portcullis.Core.Ikev2.Wire;

/// <summary>
/// ADDITIONAL_IP4_ADDRESS and ADDITIONAL_IP6_ADDRESS notification data (RFC 4555 §4.2.2): one more address of the
/// sender, 4 or 16 octets, nothing else.
/// </summary>
public static class AdditionalAddress
{
    /// <summary>The notify announcing <paramref name="address"/>.</summary>
    public static NotifyPayload ToNotify(IPAddress address)
    {
        NotifyType type = address.AddressFamily == AddressFamily.InterNetworkV6 ? NotifyType.AdditionalIp6Address : NotifyType.AdditionalIp4Address;
        return new NotifyPayload(type, address.GetAddressBytes());
    }

    /// <summary>Reads the address of an ADDITIONAL_IP4_ADDRESS or ADDITIONAL_IP6_ADDRESS notify.</summary>
    public static bool TryParse(NotifyPayload notify, out IPAddress? address, out ParseError error)
    {
        address = null;
        error = default;
        int expected = notify.NotifyType switch
        {
            NotifyType.AdditionalIp4Address => 4,
            NotifyType.AdditionalIp6Address => 16,
            _ => 0,
        };
        if (expected == 0)
        {
            error = new("Notify Message Type", $"{notify.NotifyType.RfcName()} is not an additional address");
            return false;
        }
        if (notify.Data.Length != expected)
        {
            error = new("Notification Data", $"{notify.NotifyType.RfcName()} of {notify.Data.Length} bytes, must be {expected}");
            return false;
        }
        address = new IPAddress(notify.Data);
        return true;
    }
}
