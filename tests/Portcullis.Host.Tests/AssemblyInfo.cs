// These tests exercise Linux interfaces (Unix file modes, SO_PEERCRED, TUN, network namespaces).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
