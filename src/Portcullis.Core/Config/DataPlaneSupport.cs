namespace Portcullis.Core.Config;

/// <summary>
/// What a loaded configuration asks for that the daemon's data plane cannot do. The loader reads such keys (so that
/// <c>portcullis firewall</c> and <c>doctor</c> can say what the file means); the daemon refuses the file with these
/// errors, as it refuses any key it cannot honour.
/// </summary>
public static class DataPlaneSupport
{
    /// <summary>The problems, each naming the child's file and line and the dotted key.</summary>
    public static IReadOnlyList<ConfigError> Check(PortcullisConfig config)
    {
        var errors = new List<ConfigError>();
        foreach (ConnectionConfig c in config.Connections)
            foreach (ChildConfig child in c.Children.Where(ch => ch.UsesAh))
            {
                string key = $"connections.{c.Name}.children.{child.Name}.ah_proposals";
                // IKEv1 names AH algorithms by AH transform ID (RFC 2407 §4.4.3): an algorithm without one (aescmac),
                // or a PFS group IKEv1 has no number for, leaves Quick Mode nothing to propose.
                if (c.Version == 1 && Ikev1.Ikev1Proposals.Phase2(child).Count == 0)
                    errors.Add(new ConfigError(child.Location.File, child.Location.Line, key,
                        "no proposal is usable with IKEv1 (AH needs an integrity algorithm with an IKEv1 AH transform ID: md5, sha1, sha256, sha384, sha512, aesxcbc or AES-GMAC, and a PFS group IKEv1 knows); use version = 2 or other ah_proposals"));
            }
        return errors;
    }
}
