using System.Text;

namespace Portcullis.Core.Firewall;

/// <summary><c>portcullis firewall --explain</c>: the reasoning behind the rules, in prose, per connection.</summary>
public static class FirewallExplainer
{
    /// <summary>The text: each heading followed by its points.</summary>
    public static string Write(FirewallPlan plan)
    {
        var sb = new StringBuilder();
        foreach ((string heading, IReadOnlyList<string> lines) in plan.Explanation)
        {
            if (sb.Length > 0) sb.Append('\n');
            sb.Append(char.ToUpperInvariant(heading[0])).Append(heading[1..]).Append(":\n");
            foreach (string line in lines) sb.Append("  - ").Append(line).Append('\n');
        }
        return sb.ToString();
    }
}
