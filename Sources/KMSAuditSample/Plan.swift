/// When each planted step happens, as a fraction of the trail (so that any `--days` keeps the
/// order and spacing). Steps that must follow one another within minutes add seconds to a
/// fraction instead (see `SampleClock.at`).
enum Plan {
    // prod / us-east-1
    static let ordersKey = 0.010
    static let graphInstance = 0.020
    static let ordersCluster = 0.030
    static let ledgerKey = 0.050
    static let ledgerDB = 0.060
    static let samlShowcase = 0.070
    static let cmsKey = 0.100
    static let cmsCluster = 0.105
    static let reportingDB = 0.150
    static let drift: [Double] = [0.200, 0.210]
    static let clashA = 0.250
    static let rootUser = 0.300
    static let legacyAlias: [Double] = [0.330, 0.340, 0.350]
    static let appKeyV2 = 0.340
    static let appAliasMove = 0.345
    static let exportAliasDelete = 0.360
    static let crossPair: [Double] = [0.450, 0.460]
    static let graphPolicy = 0.500
    /// SecurityAuditor inspects the graph key every 1/14 of the trail (12 hours over 7 days).
    static let audits: [Double] = (0..<14).map { (Double($0) + 0.5) / 14 }
    static let ledgerDisable = 0.570

    // prod / us-west-2
    static let analyticsKey = 0.008
    static let backupW2Key = 0.011
    static let archiveKey = 0.012
    static let archiveCluster = 0.030
    static let analyticsCluster = 0.040
    static let archiveSnapshot = 0.200
    static let archiveCopy = 0.210
    static let dataScienceOK: [Double] = [0.220, 0.230, 0.240, 0.250, 0.260]
    static let dataScienceDenied: [Double] = [0.270, 0.280]
    static let archiveDelete = 0.430
    static let contractor: [Double] = [0.600, 0.610, 0.620]

    // analytics / us-east-1
    static let warehouseKey = 0.010
    static let devKey = 0.018
    static let warehouseCluster = 0.020
    static let devCluster = 0.025
    static let cacheKey = 0.028
    static let sessionsDB = 0.030
    static let webIdentityShowcase = 0.080
    static let external: [Double] = [0.120, 0.130, 0.140]
    static let cacheRevoke = 0.380
    static let cacheRegrant = 0.400
    static let warehouseSchedule = 0.700
    static let warehouseCancel = 0.720
    static let warehouseEnable = 0.730

    // analytics / us-west-2
    static let paymentsKey = 0.012
    static let backupDW2Key = 0.013
    static let searchKey = 0.014
    static let paymentsDB = 0.015
    static let searchCluster = 0.016
    static let searchSnapshot = 0.300
    static let searchCopy = 0.310
    static let searchPolicy = 0.520
    static let stagingDelete = 0.550
    static let paymentsRetire = 0.620
    static let clashB = 0.650

    // sandbox
    static let scratchKey = 0.020
    static let federatedShowcase = 0.090
    static let unknownShowcase = 0.110
    static let retiredKeyDeleted = 0.400
    static let pocKey = 0.005
    static let pocCluster = 0.015
    static let pocDisable = 0.650
    static let pocEnable = 0.660
}
