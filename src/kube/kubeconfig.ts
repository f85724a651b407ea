import { KubeConfig } from '@kubernetes/client-node';

/**
 * --kubeconfig when given; otherwise the library's default order: KUBECONFIG, ~/.kube/config,
 * then the in-cluster service account (what a pod uses).
 */
export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (context) kc.setCurrentContext(context);
  if (!kc.getCurrentCluster()) throw new Error('no cluster in the kubeconfig (set --kubeconfig, KUBECONFIG or run in a pod)');
  return kc;
}
