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
                if (c.Version == 1)
                    errors.Add(new ConfigError(child.Location.File, child.Location.Line, key,
                        "AH is negotiated with IKEv2 only in Portcullis (IKEv1 Quick Mode with PROTO_IPSEC_AH is not supported yet); use version = 2 or esp_proposals"));
            }
        return errors;
    }
}
