/// Why `collect` could not start or could not write: nothing about AWS's answers (those are
/// recorded per call in the report), only what stops the whole run.
package enum CollectError: Error, Equatable, CustomStringConvertible, Sendable {
    /// No `aws` executable on PATH.
    case awsNotFound(path: String)
    /// No region given, none in the environment or the profile.
    case noRegion
    /// A region name that is not one (it becomes a folder name).
    case badRegion(String)
    /// `aws sts get-caller-identity` failed: without the account there is no layout.
    case identity(reason: String)
    /// `aws ec2 describe-regions` failed (for `--regions all`).
    case regions(reason: String)
    /// A file or folder under the output folder could not be written.
    case write(path: String, reason: String)

    package var description: String {
        switch self {
        case .awsNotFound(let path):
            return "collect: the AWS CLI `aws` was not found on PATH (\(path.isEmpty ? "PATH is empty" : path)); install it (pip install awscli, or AWS CLI v2) or put it on PATH"
        case .noRegion:
            return "collect: no region: pass --regions R1,R2 (or --regions all), or set AWS_REGION / AWS_DEFAULT_REGION or the profile's region"
        case .badRegion(let r):
            return "collect: \"\(r)\" is not a region name (letters, digits and '-')"
        case .identity(let reason):
            return "collect: aws sts get-caller-identity failed, so the account is unknown: \(reason)"
        case .regions(let reason):
            return "collect: aws ec2 describe-regions failed: \(reason)"
        case .write(let path, let reason):
            return "collect: cannot write \(path): \(reason)"
        }
    }
}
