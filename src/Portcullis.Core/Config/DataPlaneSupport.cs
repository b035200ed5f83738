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
            foreach (ChildConfig child in c.Children.Where(ch => ch.UsesAh && ch.Mode == ChildMode.Transport))
                errors.Add(new ConfigError(child.Location.File, child.Location.Line, $"connections.{c.Name}.children.{child.Name}.ah_proposals",
                    "AH in transport mode is not wired into Portcullis' host data plane yet (tunnel mode is); use mode = tunnel or esp_proposals"));
        return errors;
    }
}
