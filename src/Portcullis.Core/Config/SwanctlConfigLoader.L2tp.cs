using System.Globalization;
using System.Net;

namespace Portcullis.Core.Config;

public static partial class SwanctlConfigLoader
{
    // ---- l2tp (a Portcullis extension) ----

    private static L2tpConfig? LoadL2tp(SettingsSection section, Context ctx)
    {
        int before = ctx.Errors.Count;
        IReadOnlyList<string> pools = [];
        List<PppAuthMethod> auth = [];
        IPAddress? localIp = null;
        int mru = 1400;
        foreach (SettingsValue v in section.Values)
        {
            string key = section.PathOf(v.Key);
            if (v.Value.Length == 0) continue;
            switch (v.Key)
            {
                case "pools":
                    pools = ctx.List(v, key) ?? pools;
                    break;
                case "auth":
                    foreach (string method in ctx.List(v, key) ?? [])
                    {
                        switch (method.ToLowerInvariant())
                        {
                            case "mschapv2": auth.Add(PppAuthMethod.MsChapV2); break;
                            case "chap" or "chap-md5": auth.Add(PppAuthMethod.ChapMd5); break;
                            case "pap": auth.Add(PppAuthMethod.Pap); break;
                            default: ctx.Error(v, key, $"unknown PPP authentication '{method}' (mschapv2, chap or pap)"); break;
                        }
                    }
                    break;
                case "local_ip":
                    if (IPAddress.TryParse(v.Value, out IPAddress? ip) && ip.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) localIp = ip;
                    else ctx.Error(v, key, $"'{v.Value}' is not an IPv4 address");
                    break;
                case "mru":
                    if (int.TryParse(v.Value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 576 and <= 1500) mru = n;
                    else ctx.Error(v, key, $"'{v.Value}' is not an MRU between 576 and 1500");
                    break;
                default:
                    ctx.Unsupported(v, key);
                    break;
            }
        }
        foreach (SettingsSection sub in section.Sections) ctx.Unsupported(sub);
        if (pools.Count == 0) ctx.Error(section.Location, section.PathOf("pools"), "missing 'pools': IPCP needs a pool to give the clients their addresses");
        if (localIp is null) ctx.Error(section.Location, section.PathOf("local_ip"), "missing 'local_ip': the server's address on the PPP links");
        if (ctx.Errors.Count > before) return null;
        return new L2tpConfig { Location = section.Location, Pools = pools, Auth = auth.Count > 0 ? auth : [PppAuthMethod.MsChapV2], LocalIp = localIp!, Mru = mru };
    }
}
