import { KubeConfig } from '@kubernetes/client-node';

/**
 * --kubeconfig when given; otherwise the library's default order: KUBECONFIG, ~/.kube/config,
 * then the in-cluster service account (what a pod uses).
 */
export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else {
    kc.loadFromDefault();
    // With none of those, the library makes up a cluster at http://localhost:8080, and every request
    // then fails with a message about that address instead of the missing configuration.
    if (kc.getCurrentContext() === 'loaded-context' && kc.getCurrentCluster()?.server === 'http://localhost:8080') {
      throw new Error('no kubeconfig found: set --kubeconfig or KUBECONFIG, create ~/.kube/config, or run in a pod with a service account');
    }
  }
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster()) throw new Error('no cluster in the kubeconfig (set --kubeconfig, KUBECONFIG or run in a pod)');
  return kc;
}
